import { describe, expect, it } from 'vitest';
import type { Cache, CachedAnswer, CacheQuery } from '../../engine/seams/cache.js';
import { ManualClock } from './budget-store.js';
import { itSpeaksV1 } from './specification.js';

/** Builds an empty cache that reads time from `clock` and expires entries `ttlMs` after they were stored. */
type Make = (clock: ManualClock, ttlMs: number) => Promise<Cache>;

const answer = (text: string): CachedAnswer => ({ text, model: 'm', usage: { inputTokens: 12, outputTokens: 3, cachedInputTokens: 0 }, fullMicros: 321 });
let n = 0;
/** A fresh key space per case, so a shared cache (Redis) does not see another case's entries. */
const q = (tenant: string, key: string, text: string, scope = 'scope-1'): CacheQuery => ({ tenant: `${tenant}-${n}`, key: `${key}-${n}`, text, scope });

export interface CacheContractOptions {
  /**
   * The cache's TTL is kept by its server's clock (Redis `PX`), not the injected one: the TTL case then
   * stores with a 3 s TTL and waits 3.2 s of real time instead of moving the clock.
   */
  serverClock?: boolean;
}

/**
 * The behaviour every Cache must show (engine/seams/cache.ts): exact hits, tenant and scope isolation, TTL,
 * replacement. A cache that also matches similar texts may answer `semantic` hits, but only within the tenant
 * and scope; the suite accepts them where a similar text could match.
 */
export function cacheContract(name: string, make: Make, options: CacheContractOptions = {}): void {
  describe(`${name}: Cache contract`, () => {
    const t0 = Date.UTC(2030, 0, 1);
    const next = () => {
      n++;
      return new ManualClock(t0);
    };
    itSpeaksV1(() => make(new ManualClock(t0), 60_000));

    it('misses when empty, then hits exactly what was stored, with the stored answer and its cost', async () => {
      const cache = await make(next(), 60_000);
      expect(await cache.lookup(q('a', 'k1', 'What is the capital of France?'))).toBeUndefined();
      await cache.store(q('a', 'k1', 'What is the capital of France?'), answer('Paris'));
      const hit = await cache.lookup(q('a', 'k1', 'What is the capital of France?'));
      expect(hit).toMatchObject({ ...answer('Paris'), match: 'exact' });
    });

    it('never answers another tenant, even for the same key and text', async () => {
      const cache = await make(next(), 60_000);
      const texts = ['What is the capital of France?', 'Summarise this contract.', 'Write a haiku about Redis.'];
      for (const t of texts) await cache.store(q('a', `key:${t}`, t), answer(`a:${t}`));
      for (const t of texts) expect(await cache.lookup(q('b', `key:${t}`, t))).toBeUndefined();
    });

    it('never answers across scopes (other model or parameters), even for the same text', async () => {
      const cache = await make(next(), 60_000);
      await cache.store(q('a', 'k1', 'What is the capital of France?', 'scope-1'), answer('Paris'));
      const other = await cache.lookup(q('a', 'k2', 'What is the capital of France?', 'scope-2'));
      expect(other).toBeUndefined();
    });

    it('a different key is a miss, or a semantic hit with its similarity', async () => {
      const cache = await make(next(), 60_000);
      await cache.store(q('a', 'k1', 'What is the capital of France?'), answer('Paris'));
      const other = await cache.lookup(q('a', 'k2', 'How do I bake sourdough bread at home?'));
      if (other) {
        expect(other.match).toBe('semantic');
        expect(typeof other.similarity).toBe('number');
      }
    });

    it(options.serverClock ? "expires entries after their TTL on the server's clock" : 'expires entries after their TTL on the injected clock', async () => {
      const clock = next();
      const ttl = options.serverClock ? 3_000 : 60_000;
      const cache = await make(clock, ttl);
      await cache.store(q('a', 'k1', 'What is the capital of France?'), answer('Paris'));
      if (!options.serverClock) clock.advance(59_000);
      expect((await cache.lookup(q('a', 'k1', 'What is the capital of France?')))?.text).toBe('Paris');
      if (options.serverClock) await new Promise((r) => setTimeout(r, ttl + 200));
      else clock.advance(1_001);
      expect(await cache.lookup(q('a', 'k1', 'What is the capital of France?'))).toBeUndefined();
    });

    it('storing a key again replaces its answer', async () => {
      const cache = await make(next(), 60_000);
      await cache.store(q('a', 'k1', 'What is the capital of France?'), answer('Paris'));
      await cache.store(q('a', 'k1', 'What is the capital of France?'), answer('Paris, France'));
      expect((await cache.lookup(q('a', 'k1', 'What is the capital of France?')))?.text).toBe('Paris, France');
    });

    it('is safe for concurrent lookups and stores', async () => {
      const cache = await make(next(), 60_000);
      await Promise.all(Array.from({ length: 20 }, (_, i) => cache.store(q('a', `k${i}`, `question number ${i}`), answer(`answer ${i}`))));
      const hits = await Promise.all(Array.from({ length: 20 }, (_, i) => cache.lookup(q('a', `k${i}`, `question number ${i}`))));
      expect(hits.map((h) => h?.text)).toEqual(Array.from({ length: 20 }, (_, i) => `answer ${i}`));
    });
  });
}
