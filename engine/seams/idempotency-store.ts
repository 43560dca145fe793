import type { SpecificationVersion } from './specification.js';

/**
 * IdempotencyStore — where the engine keeps the first answer of a request that carried a client id
 * (an idempotency key), so a retry with the same id and body gets that answer again instead of a new
 * model call and a new charge (engine/idempotency.ts).
 *
 * Contract (specificationVersion 'v1'):
 * - `claim(key, fingerprint, leaseMs)` atomically: if `key` is unknown, records it as pending for
 *   `fingerprint` for at most `leaseMs` and returns `{ kind: 'claimed' }` (the caller runs the request);
 *   if another request holds it, returns `{ kind: 'pending', fingerprint }`; if it completed, returns
 *   `{ kind: 'done', fingerprint, result }`. Never throws for a known key; throws
 *   {@link StoreUnavailableError} when the store cannot answer.
 * - `complete(key, fingerprint, result, ttlMs)` stores the JSON-serialisable result for `ttlMs` (the
 *   retention window) in place of the claim. `release(key, fingerprint)` drops a pending claim held
 *   for `fingerprint` (the request failed, so a retry may run). Both are idempotent.
 * - `waitFor?(key, ms)` (optional) resolves when `key` stops being pending or after `ms`; without it the
 *   engine polls `claim`.
 * - Stores shared by several processes (Redis) must make `claim` atomic across them.
 */
export type ClaimOutcome =
  | { kind: 'claimed' }
  | { kind: 'pending'; fingerprint: string }
  | { kind: 'done'; fingerprint: string; result: unknown };

export interface IdempotencyStore {
  readonly specificationVersion?: SpecificationVersion;
  claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimOutcome>;
  complete(key: string, fingerprint: string, result: unknown, ttlMs: number): Promise<void>;
  release(key: string, fingerprint: string): Promise<void>;
  waitFor?(key: string, ms: number): Promise<void>;
}
