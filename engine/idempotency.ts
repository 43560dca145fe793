import { createHash } from 'node:crypto';
import { TollgateError } from './errors.js';
import type { ValidRequest } from './request.js';
import type { IdempotencyStore } from './seams/idempotency-store.js';
import { StoreUnavailableError } from './store-errors.js';

/**
 * Request ids as idempotency keys (the way payment APIs treat them). A request that carries a client
 * id (`idempotencyKey`, else `id`; the gateway's `x-request-id`) is run at most once per tenant within
 * the retention window: the same id with the same body gets the first answer again (no model call, no
 * charge, no new decision record); the same id with a different body is refused with
 * {@link IdempotencyConflictError}; a duplicate that arrives while the first is running waits for it.
 * Only answered requests are kept: if the first fails, its claim is released and a retry runs anew.
 * Requests with `simulation` hints (trace replays) skip this. The engine never uses the client id as a
 * reservation id (EngineBudgets gives every reservation its own), so a reused id cannot skip the budget.
 */
export interface IdempotencySettings {
  store: IdempotencyStore;
  /** How long a completed answer is kept and replayed. Default 24 h. */
  retentionMs: number;
  /** How long a running request holds its id before a duplicate may run it (must exceed the longest request). Default 15 min. */
  leaseMs: number;
  /** Engine-clock sleep for polling stores without `waitFor`. */
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 24 * 3_600_000;
/** Upper bound of a claim's lease. */
export const MAX_IDEMPOTENCY_LEASE_MS = 15 * 60_000;

/**
 * How long a running request holds its id: the longest it can run under the policy (every model of the
 * policy tried `maxAttempts` times, each up to `timeoutMs`, with the longest backoff between tries) plus
 * 10 s, at most 15 minutes. A holder that crashed therefore blocks a retry of its id for at most that
 * long; a duplicate waiting on a live holder gets its answer as soon as it completes.
 */
export function idempotencyLeaseMs(retry: { maxAttempts: number; timeoutMs: number; maxDelayMs: number }, models: number): number {
  const tries = retry.maxAttempts * Math.max(1, models);
  return Math.min(MAX_IDEMPOTENCY_LEASE_MS, tries * (retry.timeoutMs + retry.maxDelayMs) + 10_000);
}

/** The same idempotency key was sent with a different request body. HTTP 409 at the gateway. */
export class IdempotencyConflictError extends TollgateError {
  constructor(readonly key: string) {
    super('idempotency_conflict', `Request id "${key.slice(0, 128)}" was already used with a different request body`, { key: key.slice(0, 128) });
  }
}

/** The client's idempotency key of a request, or `undefined` when it has none (or is a trace replay). */
export function idempotencyKeyOf(request: ValidRequest): string | undefined {
  if (request.simulation || request.idempotencyKey === false) return undefined;
  return request.idempotencyKey ?? request.id;
}

/** The store key: tenant and client key, each URI-encoded (tenants never share a key). */
export const storeKey = (tenant: string, key: string): string => `${encodeURIComponent(tenant)}:${encodeURIComponent(key)}`;

/**
 * Hash of the normalised request: everything that shapes the answer or its charge (tenant, pinned
 * model, messages, output cap, sampling, tags, task), with representation differences removed
 * (absent vs undefined, a stop string vs a one-item list, tag order). Metadata is left out.
 */
export function requestFingerprint(r: ValidRequest): string {
  const norm = {
    tenant: r.tenant,
    model: r.model ?? null,
    messages: r.messages.map((m) => (m.tool_calls || m.tool_call_id || m.refusal != null ? [m.role, m.name ?? null, m.content ?? null, m.tool_calls ?? null, m.tool_call_id ?? null, m.refusal ?? null] : [m.role, m.name ?? null, m.content])),
    maxOutputTokens: r.maxOutputTokens ?? null,
    temperature: r.temperature ?? null,
    topP: r.topP ?? null,
    stop: r.stop === undefined ? null : typeof r.stop === 'string' ? [r.stop] : r.stop,
    seed: r.seed ?? null,
    tags: r.tags ? [...r.tags].sort() : [],
    task: r.task ?? null,
    ...answerShape(r),
  };
  return createHash('sha256').update(JSON.stringify(norm)).digest('hex');
}

/** The request options that shape the answer beyond text (tools, formats, n…): only those set, so plain chat keeps its fingerprint. */
export function answerShape(r: ValidRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['tools', 'toolChoice', 'parallelToolCalls', 'responseFormat', 'reasoningEffort', 'serviceTier', 'n', 'passthrough'] as const) {
    if (r[k] !== undefined) out[k] = r[k];
  }
  return out;
}

/**
 * Runs `run` at most once for `(tenant, key)`: returns `{ replayed: result }` for a completed duplicate,
 * else runs and stores an answered result. A store that cannot answer (store_unavailable) does not stop
 * the request: it runs without idempotency (the budget still charges it, since reservations are the
 * engine's own), and `degraded` says so.
 */
export async function runIdempotent<T extends object>(
  s: IdempotencySettings,
  tenant: string,
  key: string,
  fingerprint: string,
  run: () => Promise<T>,
): Promise<{ result: T; replayed: boolean; degraded?: boolean }> {
  const k = storeKey(tenant, key);
  let waitMs = 5;
  const deadline = Date.now() + s.leaseMs;
  for (;;) {
    let claim;
    try {
      claim = await s.store.claim(k, fingerprint, s.leaseMs);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      return { result: await run(), replayed: false, degraded: true };
    }
    if (claim.kind === 'claimed') break;
    if (claim.fingerprint !== fingerprint) throw new IdempotencyConflictError(key);
    if (claim.kind === 'done') return { result: claim.result as T, replayed: true };
    if (Date.now() > deadline) break; // the holder outlived its lease: run it ourselves
    if (s.store.waitFor) await s.store.waitFor(k, Math.max(50, waitMs));
    else await s.sleep(waitMs);
    waitMs = Math.min(200, waitMs * 2);
  }
  let result: T;
  try {
    result = await run();
  } catch (err) {
    await s.store.release(k, fingerprint).catch(() => undefined);
    throw err;
  }
  await s.store.complete(k, fingerprint, result, s.retentionMs).catch(() => s.store.release(k, fingerprint).catch(() => undefined));
  return { result, replayed: false };
}
