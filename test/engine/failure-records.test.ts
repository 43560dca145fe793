import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import type { Cache, CachedAnswer, CacheHit, CacheQuery } from '../../engine/seams/cache.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

/** An exact in-process cache (the seam's simplest implementation): single flight needs a cache. */
class MapCache implements Cache {
  private readonly m = new Map<string, CachedAnswer>();
  async lookup(q: CacheQuery): Promise<CacheHit | undefined> {
    const a = this.m.get(`${q.tenant}\u0000${q.scope}\u0000${q.key}`);
    return a && { ...a, match: 'exact' };
  }
  async store(q: CacheQuery, a: CachedAnswer): Promise<void> {
    this.m.set(`${q.tenant}\u0000${q.scope}\u0000${q.key}`, a);
  }
}

let vendor: FakeVendor;
beforeAll(async () => {
  process.env.TOLLGATE_TEST_KEY = 'sk-test-failure-records-0123456789';
  vendor = await startFakeVendor({ latencyMs: 20 });
});
afterAll(async () => vendor.close());

const ask = (content = 'same question') => ({ tenant: 'acme', messages: [{ role: 'user' as const, content }] });

describe('failed requests in the decision log (issue #14, item 6)', () => {
  it('records the attempts and fallbacks of a request whose every model failed', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: httpPolicy(vendor.url, { a: '500', b: '500' }), decisionLog: sink });
    const before = vendor.count('/v1/chat/completions');
    await expect(tg.complete(ask('attempts please'))).rejects.toMatchObject({ code: 'all_models_failed' });
    const calls = vendor.count('/v1/chat/completions') - before;
    const rec = sink.records.at(-1)!;
    expect(calls).toBe(4); // two models × maxAttempts 2
    expect(rec.attempts).toBe(calls);
    expect(rec.fallbacks.map((f) => f.model)).toEqual(['a', 'b']);
    for (const f of rec.fallbacks) expect(f.code).toMatch(/^provider_/);
  });

  it('single flight coalesces a failure: 200 identical requests to a failing model make one leader’s calls', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: httpPolicy(vendor.url, { a: '500' }), decisionLog: sink, cache: new MapCache() });
    const before = vendor.count('/v1/chat/completions');
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => tg.complete(ask())));
    const calls = vendor.count('/v1/chat/completions') - before;
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'all_models_failed')).toBe(true);
    expect(calls).toBe(2); // the leader's two attempts; before: 400
    // The log accounts for every vendor call, once.
    const recs = sink.records.slice(-200);
    expect(recs.reduce((n, r) => n + r.attempts, 0)).toBe(calls);
    expect(recs.filter((r) => r.error?.code === 'all_models_failed')).toHaveLength(200);
    // A different prompt is not coalesced.
    await expect(tg.complete(ask('another question'))).rejects.toMatchObject({ code: 'all_models_failed' });
    expect(vendor.count('/v1/chat/completions') - before).toBe(4);
  });
});
