import type { Redis } from 'ioredis';
import type { Cache, CachedAnswer, CacheHit, CacheQuery } from '../../engine/seams/cache.js';

export interface RedisCacheOptions {
  /** The ioredis client (owned by the caller; see `createRedisClient`). */
  redis: Redis;
  /** Key prefix. Default `tollgate:`. Keys are `<prefix>{c:<tenant>}:a:<key>` (answers) and `…:f:<key>` (flights). */
  keyPrefix?: string;
  /** Entries expire this long after they were stored. Default 1 hour. */
  ttlMs?: number;
  /**
   * Longest time a replica waits for another replica's identical call in flight before it calls the
   * model itself (the leader crashed or failed; its claim expires after this too). Default 5 s.
   */
  flightWaitMs?: number;
  /** How often a waiting replica looks for the leader's answer. Default 25 ms. */
  pollMs?: number;
}

/**
 * Exact response cache on Redis, shared by every replica, with single flight across them: the first
 * replica to miss a key claims it (`SET NX PX`); identical requests on other replicas that miss while
 * the claim stands wait for the leader's answer (polling, at most `flightWaitMs`) instead of calling the
 * model too. The leader's `store` writes the answer and drops the claim; a leader that fails leaves the
 * claim to expire, after which waiters go on as misses. Within one process the engine's own single
 * flight already coalesces identical requests before they reach this cache.
 * Tenants never share entries (the tenant is in the key). Redis errors surface as a miss (engine rule:
 * a failing cache is a miss) — they throw, and the engine catches.
 */
export class RedisCache implements Cache {
  /** The seam specification this implementation was written against (engine/seams/specification.ts). */
  readonly specificationVersion = 'v1' as const;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly flightWaitMs: number;
  private readonly pollMs: number;

  constructor(options: RedisCacheOptions) {
    this.redis = options.redis;
    this.prefix = options.keyPrefix ?? 'tollgate:';
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.flightWaitMs = options.flightWaitMs ?? 5_000;
    this.pollMs = options.pollMs ?? 25;
  }

  async lookup(q: CacheQuery): Promise<CacheHit | undefined> {
    const answerKey = this.key(q, 'a');
    const found = await this.redis.get(answerKey);
    if (found) return hit(found);
    const claimed = await this.redis.set(this.key(q, 'f'), '1', 'PX', this.flightWaitMs, 'NX');
    if (claimed === 'OK') return undefined; // this replica leads: it calls the model and stores
    const deadline = Date.now() + this.flightWaitMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, this.pollMs));
      const [answer, flight] = (await this.redis.mget(answerKey, this.key(q, 'f'))) as [string | null, string | null];
      if (answer) return hit(answer);
      if (!flight) return undefined; // the leader gave up (or its claim expired): a plain miss
    }
    return undefined;
  }

  async store(q: CacheQuery, answer: CachedAnswer): Promise<void> {
    await this.redis.multi().set(this.key(q, 'a'), JSON.stringify(answer), 'PX', this.ttlMs).del(this.key(q, 'f')).exec();
  }

  private key(q: CacheQuery, kind: 'a' | 'f'): string {
    return `${this.prefix}{c:${encodeURIComponent(q.tenant)}}:${kind}:${q.key}`;
  }
}

function hit(json: string): CacheHit {
  return { ...(JSON.parse(json) as CachedAnswer), match: 'exact', similarity: 1 };
}
