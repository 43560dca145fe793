import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../../compose.js';
import { RedisCache } from '../../../adapters/stores/redis-cache.js';
import type { ModelAdapter, ModelCallInput, ModelResponse } from '../../../engine/seams/model-adapter.js';
import { connectTestRedis, deletePrefix, testPrefix } from '../../support/redis.js';
import { simPolicy } from '../../support/policies.js';

let redis: Redis;
const prefix = testPrefix();

beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** A slow model that counts its calls. */
class CountingAdapter implements ModelAdapter {
  readonly kind = 'simulated';
  calls = 0;
  async call(input: ModelCallInput): Promise<ModelResponse> {
    this.calls++;
    await new Promise((r) => setTimeout(r, 150));
    return { text: `answer to ${input.messages.at(-1)!.content}`, usage: { inputTokens: 10, outputTokens: 5 }, usageSource: 'vendor', finishReason: 'stop' };
  }
  async *stream(input: ModelCallInput) {
    yield { type: 'done' as const, response: await this.call(input) };
  }
}

describe('RedisCache (exact cache and single flight shared by replicas)', () => {
  it('lets identical requests on two replicas call the model once, and never serves another tenant', async () => {
    const model = new CountingAdapter();
    const policy = simPolicy({ tenants: { acme: {}, globex: {} } });
    const replica = () => createTollgate({ policy, adapters: { simulated: model }, redis: { client: redis, keyPrefix: `${prefix}a:`, cache: { ttlMs: 60_000 } } });
    const [a, b] = [replica(), replica()];
    const ask = (t: typeof a, tenant: string) => t.complete({ tenant, model: 'mini', messages: [{ role: 'user', content: 'same question' }], maxOutputTokens: 16 });
    const results = await Promise.all([ask(a, 'acme'), ask(b, 'acme'), ask(a, 'acme'), ask(b, 'acme')]);
    expect(model.calls).toBe(1);
    expect(results.filter((r) => r.cached)).toHaveLength(3);
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    const other = await ask(b, 'globex');
    expect(other.cached).toBe(false);
    expect(model.calls).toBe(2);
  });

  it('lets a waiting replica go on as a miss once the leader gives up its claim', async () => {
    const cache = new RedisCache({ redis, keyPrefix: `${prefix}b:`, flightWaitMs: 300, pollMs: 10 });
    const q = { tenant: 'acme', key: 'k1', text: 'x', scope: 's' };
    expect(await cache.lookup(q)).toBeUndefined(); // leader
    expect(await cache.lookup(q)).toBeUndefined(); // follower waits out the claim, then misses
    await cache.store(q, { text: 'hi', model: 'mini', usage: { inputTokens: 1, outputTokens: 1 } as never, fullMicros: 7 });
    expect(await cache.lookup(q)).toMatchObject({ text: 'hi', match: 'exact', fullMicros: 7 });
    expect(await cache.lookup({ ...q, tenant: 'globex' })).toBeUndefined();
  });
});
