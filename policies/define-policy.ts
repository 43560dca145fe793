import type { PolicyInput } from './schema.js';

/**
 * Identity helper that gives a `.ts` policy file full type checking and editor completion,
 * the way `defineConfig` does in Vite:
 *
 * ```ts
 * import { definePolicy } from 'tollgate';
 * export default definePolicy({ name: 'mine', models: [...], rules: [...] });
 * ```
 * Validation (cross-field checks, defaults) happens when the policy is loaded or passed to `createTollgate`.
 */
export function definePolicy<const T extends PolicyInput>(policy: T): T {
  return policy;
}
