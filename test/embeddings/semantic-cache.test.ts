import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import type { Embedder } from '../../embeddings/embedder.js';
import { createEmbedder } from '../../embeddings/index.js';
import { SemanticCache } from '../../embeddings/semantic-cache.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

let embedder: Embedder;
let vendor: FakeVendor;
beforeAll(async () => {
  process.env.TOLLGATE_TEST_KEY = 'sk-cache-test-key-000000';
  embedder = await createEmbedder();
  vendor = await startFakeVendor({ latencyMs: 60 });
});
afterAll(async () => vendor.close());

const answer = { text: 'Paris', model: 'm', usage: { inputTokens: 10, outputTokens: 2, cachedInputTokens: 0 }, fullMicros: 123 };
const q = (tenant: string, key: string, text: string, scope = 's') => ({ tenant, key, text, scope });

describe('SemanticCache', () => {
  it('hits exactly, then semantically for a near-identical prompt, within the same tenant and scope', async () => {
    const cache = new SemanticCache({ embedder });
    await cache.store(q('a', 'k1', 'What is the capital of France?'), answer);
    expect(await cache.lookup(q('a', 'k1', 'What is the capital of France?'))).toMatchObject({ match: 'exact', text: 'Paris' });
    const near = await cache.lookup(q('a', 'k2', 'What is the capital of France'));
    expect(near).toMatchObject({ match: 'semantic', text: 'Paris' });
    expect(near!.similarity).toBeGreaterThanOrEqual(0.975);
    expect(await cache.lookup(q('a', 'k3', 'How do I bake sourdough bread at home?'))).toBeUndefined();
    expect(await cache.lookup(q('a', 'k2', 'What is the capital of France', 'other-params'))).toBeUndefined();
  });

  it('never returns another tenant’s entry: same text, same key, same vector', async () => {
    const cache = new SemanticCache({ embedder, threshold: -1 }); // even "everything matches" stays inside the tenant
    const texts = ['What is the capital of France?', 'Summarize this contract.', 'Write a haiku about Redis.'];
    for (const t of texts) await cache.store(q('tenant-a', `key:${t}`, t), { ...answer, text: `a:${t}` });
    let crossHits = 0;
    for (const t of texts) {
      if (await cache.lookup(q('tenant-b', `key:${t}`, t))) crossHits++;
      if (await cache.lookup(q('tenant-b', 'other-key', t))) crossHits++;
    }
    expect(crossHits).toBe(0);
    const own = await cache.lookup(q('tenant-a', 'x', 'anything at all'));
    expect(own!.text.startsWith('a:')).toBe(true);
  });

  it('expires entries after the TTL and evicts the least recently used past the size bound', async () => {
    let now = 1_000;
    const cache = new SemanticCache({ ttlMs: 100, maxEntries: 2, clock: () => now });
    await cache.store(q('a', 'k1', ''), answer);
    now += 101;
    expect(await cache.lookup(q('a', 'k1', ''))).toBeUndefined();
    await cache.store(q('a', 'k1', ''), answer);
    await cache.store(q('a', 'k2', ''), answer);
    await cache.lookup(q('a', 'k1', '')); // k1 is now the most recent
    await cache.store(q('a', 'k3', ''), answer);
    expect(cache.size).toBe(2);
    expect(await cache.lookup(q('a', 'k2', ''))).toBeUndefined();
    expect(await cache.lookup(q('a', 'k1', ''))).toBeDefined();
  });
});

describe('the engine with a cache', () => {
  const ask = (tenant: string, content: string) => ({ tenant, messages: [{ role: 'user' as const, content }] });

  it('100 concurrent identical misses make exactly one upstream call', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: httpPolicy(vendor.url, { m: 'ok' }, { retry: { timeoutMs: 10_000 } }), cache: new SemanticCache({ embedder }), decisionLog: sink });
    const before = vendor.count();
    const results = await Promise.all(Array.from({ length: 100 }, () => tg.complete(ask('acme', 'Explain GCRA rate limiting in two sentences.'))));
    expect(vendor.count() - before).toBe(1);
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(results.filter((r) => r.cached)).toHaveLength(99);
    expect(sink.records.filter((r) => r.cache?.hit)).toHaveLength(99);
    const row = tg.ledger.total();
    expect(row.cacheHits).toBe(99);
    expect(row.cacheSavedMicros).toBe(99 * results.find((r) => !r.cached)!.cost.full);
  });

  it('serves a repeat from the cache for the same tenant only', async () => {
    const tg = createTollgate({ policy: httpPolicy(vendor.url, { m: 'ok' }, { retry: { timeoutMs: 10_000 } }), cache: new SemanticCache({ embedder }) });
    const before = vendor.count();
    await tg.complete(ask('t1', 'What does Tollgate log per request?'));
    const again = await tg.complete(ask('t1', 'What does Tollgate log per request?'));
    const other = await tg.complete(ask('t2', 'What does Tollgate log per request?'));
    expect(again.cached).toBe(true);
    expect(again.cost.full).toBe(0);
    expect(other.cached).toBe(false);
    expect(vendor.count() - before).toBe(2);
  });
});
