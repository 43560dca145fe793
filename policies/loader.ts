import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { createJiti } from 'jiti';
import { parse as parseYaml } from 'yaml';
import { PolicyError } from './errors.js';
import type { Policy } from './schema.js';
import { validatePolicy } from './validate.js';
import { policyVersion } from './version.js';

/** A validated policy together with where it came from and its content version. */
export interface LoadedPolicy {
  policy: Policy;
  version: string;
  file?: string;
}

/**
 * Loads a policy from `.yaml`/`.yml`, `.json`, or `.ts`/`.mts`/`.js`/`.mjs` (default export, loaded
 * at run time with jiti) and validates it. Throws {@link PolicyError} naming the file and every
 * failing field path; a file that cannot be read or parsed is reported the same way.
 */
export async function loadPolicy(path: string): Promise<LoadedPolicy> {
  return loadPolicySync(path);
}

/** Synchronous {@link loadPolicy} (used by `createTollgate` when given a path). */
export function loadPolicySync(path: string): LoadedPolicy {
  const file = resolve(path);
  const policy = validatePolicy(readRaw(file), file);
  return { policy, version: policyVersion(policy), file };
}

/** Validates an in-memory policy object the same way `loadPolicy` validates a file. */
export function resolvePolicy(raw: unknown, file?: string): LoadedPolicy {
  const policy = validatePolicy(raw, file);
  return { policy, version: policyVersion(policy), file };
}

function readRaw(file: string): unknown {
  const ext = extname(file).toLowerCase();
  if (['.ts', '.mts', '.js', '.mjs', '.cts', '.cjs'].includes(ext)) {
    try {
      const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false });
      const mod = jiti(file) as { default?: unknown };
      return mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
    } catch (err) {
      throw new PolicyError(file, [{ path: '', message: `cannot load module: ${(err as Error).message.split('\n')[0]}` }]);
    }
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PolicyError(file, [{ path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code})` }]);
  }
  try {
    if (ext === '.json') return JSON.parse(text);
    if (ext === '.yaml' || ext === '.yml') return parseYaml(text);
  } catch (err) {
    throw new PolicyError(file, [{ path: '', message: `cannot parse ${ext.slice(1)}: ${(err as Error).message.split('\n')[0]}` }]);
  }
  throw new PolicyError(file, [{ path: '', message: `unsupported policy file extension "${ext}" (use .yaml, .json or .ts)` }]);
}
