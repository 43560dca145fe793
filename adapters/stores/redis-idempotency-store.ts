import type { Redis } from 'ioredis';
import type { ClaimOutcome, IdempotencyStore } from '../../engine/seams/idempotency-store.js';
import { StoreUnavailableError } from '../../engine/store-errors.js';
import { DEFAULT_REDIS_OPERATION_TIMEOUT_MS, withDeadline } from './redis-deadline.js';

export interface RedisIdempotencyStoreOptions {
  /** The ioredis client (owned by the caller; `createRedisClient` sets fail-fast timeouts). */
  redis: Redis;
  /** Prefix of every key this store writes. Default `tollgate:` (keys are `<prefix>i:<tenant>:<id>`). */
  keyPrefix?: string;
  /** Deadline of each Redis operation (then `store_unavailable`). Default 2 s; 0: none. */
  operationTimeoutMs?: number;
}

/** Deletes the key only while it is still the pending claim of this fingerprint. */
const RELEASE_LUA = `
local v = redis.call('GET', KEYS[1])
if v and v == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`;

/**
 * Redis-backed {@link IdempotencyStore}, for a fleet: a claim is `SET <key> <pending> NX PX <lease>`
 * (atomic across processes), a completed answer replaces it as JSON with the retention window as its
 * TTL, and a release deletes the key only if it still holds this request's pending claim (one Lua
 * script). Values: `{"s":"p","f":fingerprint}` (pending) or `{"s":"d","f":…,"r":result}` (done).
 * Redis failures throw {@link StoreUnavailableError}.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly specificationVersion = 'v1' as const;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly opMs: number;

  constructor(o: RedisIdempotencyStoreOptions) {
    this.redis = o.redis;
    this.prefix = o.keyPrefix ?? 'tollgate:';
    this.opMs = o.operationTimeoutMs ?? DEFAULT_REDIS_OPERATION_TIMEOUT_MS;
  }

  /** The Redis key of an engine idempotency key (exposed for tests and operators). */
  redisKey(key: string): string {
    return `${this.prefix}i:${key}`;
  }

  async claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimOutcome> {
    const k = this.redisKey(key);
    try {
      for (let i = 0; i < 5; i++) {
        const set = await withDeadline(this.redis.set(k, pending(fingerprint), 'PX', Math.max(1, Math.round(leaseMs)), 'NX'), this.opMs);
        if (set === 'OK') return { kind: 'claimed' };
        const v = await withDeadline(this.redis.get(k), this.opMs);
        if (v === null) continue; // expired or released in between: try to claim again
        const e = JSON.parse(v) as { s: 'p' | 'd'; f: string; r?: unknown };
        return e.s === 'd' ? { kind: 'done', fingerprint: e.f, result: e.r } : { kind: 'pending', fingerprint: e.f };
      }
      return { kind: 'pending', fingerprint };
    } catch (err) {
      throw new StoreUnavailableError('redis-idempotency-store', 'claim', err);
    }
  }

  async complete(key: string, fingerprint: string, result: unknown, ttlMs: number): Promise<void> {
    try {
      await withDeadline(this.redis.set(this.redisKey(key), JSON.stringify({ s: 'd', f: fingerprint, r: result }), 'PX', Math.max(1, Math.round(ttlMs))), this.opMs);
    } catch (err) {
      throw new StoreUnavailableError('redis-idempotency-store', 'complete', err);
    }
  }

  async release(key: string, fingerprint: string): Promise<void> {
    try {
      await withDeadline(this.redis.eval(RELEASE_LUA, 1, this.redisKey(key), pending(fingerprint)), this.opMs);
    } catch (err) {
      throw new StoreUnavailableError('redis-idempotency-store', 'release', err);
    }
  }
}

const pending = (fingerprint: string): string => JSON.stringify({ s: 'p', f: fingerprint });
