import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisBudgetStore } from '../../adapters/stores/redis-budget-store.js';
import { RedisIdempotencyStore } from '../../adapters/stores/redis-idempotency-store.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { SimulatedAdapter } from '../../adapters/simulated-adapter.js';
import { createTollgate } from '../../compose.js';
import type { TollgateError } from '../../engine/errors.js';
import type { ModelAdapter, ModelCallInput } from '../../engine/seams/model-adapter.js';
import { simPolicy } from '../support/policies.js';
import { connectTestRedis, deletePrefix, testPrefix } from '../support/redis.js';

const prefix = testPrefix();
let redis: Redis;
beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  await deletePrefix(redis, prefix);
  await redis.quit();
});

function countingAdapter(): ModelAdapter & { calls: number } {
  const sim = new SimulatedAdapter(3);
  const a = {
    kind: 'simulated',
    calls: 0,
    call: async (input: ModelCallInput) => {
      a.calls++;
      await new Promise((r) => setTimeout(r, 20)); // long enough for duplicates to arrive while it runs
      return sim.call(input);
    },
    stream: (input: ModelCallInput) => sim.stream(input),
  };
  return a;
}

describe('library on Redis: a reused request id is one request across replicas (#14 item 2)', () => {
  it('two engines sharing Redis, 100 calls with one id and body: 1 model call, Redis charged exactly the logged cost', async () => {
    const tenants = { acme: { budgets: [{ window: 'month' as const, usd: 0.001 }], actions: [] } };
    const policy = simPolicy({ tenants });
    const adapter = countingAdapter();
    const sinks = [new MemoryDecisionSink(), new MemoryDecisionSink()];
    const budgets = new RedisBudgetStore({ redis, tenants, keyPrefix: `${prefix}lib:` });
    const engines = sinks.map((sink) =>
      createTollgate({ policy, budgetStore: budgets, idempotencyStore: new RedisIdempotencyStore({ redis, keyPrefix: `${prefix}lib:` }), decisionLog: sink, adapters: { simulated: adapter } }),
    );
    const request = { id: 'lib-fixed-id', tenant: 'acme', messages: [{ role: 'user' as const, content: 'one request, one charge' }], maxOutputTokens: 50 };
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => engines[i % 2]!.complete(request)));
    expect(adapter.calls).toBe(1);
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(results.filter((r) => r.replayed)).toHaveLength(99);
    const records = sinks.flatMap((s) => s.records);
    expect(records).toHaveLength(1);
    const used = (await budgets.usage('acme')).find((u) => u.dimension === 'micros')!.used;
    expect(used).toBe(records[0]!.cost.full);
    expect(used).toBeLessThanOrEqual(1_000);

    const conflict = await engines[1]!.complete({ ...request, messages: [{ role: 'user', content: 'another body' }] }).catch((e: unknown) => e);
    expect((conflict as TollgateError).code).toBe('idempotency_conflict');
    expect(adapter.calls).toBe(1);
    await Promise.all(engines.map((e) => e.close()));
  });

  it('an id held by a process that died (its claim left in Redis) runs once the claim\'s lease is over', async () => {
    const tenants = { acme: { budgets: [], actions: [] } };
    const adapter = countingAdapter();
    const idem = new RedisIdempotencyStore({ redis, keyPrefix: `${prefix}crash:` });
    const tg = createTollgate({ policy: simPolicy({ tenants }), idempotencyStore: idem, adapters: { simulated: adapter } });
    const request = { id: 'held-by-the-dead', tenant: 'acme', messages: [{ role: 'user' as const, content: 'anyone there?' }], maxOutputTokens: 20 };
    const { requestFingerprint, storeKey } = await import('../../engine/idempotency.js');
    const { validateRequest } = await import('../../engine/request.js');
    // What a crashed replica leaves behind: a pending claim with a short remaining lease.
    expect(await idem.claim(storeKey('acme', request.id), requestFingerprint(validateRequest(request)), 300)).toEqual({ kind: 'claimed' });
    const r = await tg.complete(request);
    expect(r.replayed).toBeUndefined();
    expect(adapter.calls).toBe(1);
    expect((await tg.complete(request)).replayed).toBe(true);
    await tg.close();
  });
});
