import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeEmbedding } from '../support/fake-vendor-embeddings.js';
import { fakeTokenCount } from '../support/fake-vendor-server.js';
import { type Harness, startHarness } from './harness.js';

/** The client asks for base64 float32 vectors: compare at float32 precision. */
const f32 = (v: number[]) => Array.from(new Float32Array(v));

/** `POST /v1/embeddings` with the official openai client, and `tollgate.embed()` (#15 item 4). */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ gpt: 'ok' }, {
    policy: (url) => ({
      models: [
        { id: 'gpt', tier: 'vendor', adapter: 'openai-compatible', endpoint: `${url}/v1`, apiKeyEnv: 'TOLLGATE_TEST_KEY', contextWindow: 128000, prices: { inputPerM: 5, outputPerM: 20 }, quality: 0.9 },
        { id: 'emb-small', tier: 'vendor', adapter: 'openai-compatible', operation: 'embeddings', endpoint: `${url}/v1`, apiKeyEnv: 'TOLLGATE_TEST_KEY', encoding: 'cl100k_base', contextWindow: 8191, prices: { inputPerM: 2, outputPerM: 0 } },
        { id: 'emb-large', tier: 'vendor', adapter: 'openai-compatible', operation: 'embeddings', endpoint: `${url}/v1`, apiKeyEnv: 'TOLLGATE_TEST_KEY', encoding: 'cl100k_base', contextWindow: 8191, prices: { inputPerM: 13, outputPerM: 0 } },
      ],
      rules: [{ name: 'default', qualityFloor: 0 }],
      fallbacks: {},
      // initech: a token budget of 40 per day; umbrella: 2 requests a minute
      tenants: { acme: {}, globex: {}, initech: { budgets: [{ window: 'day', tokens: 40 }] }, umbrella: { rateLimit: { requestsPerMinute: 2 } } },
    }),
  });
});
afterAll(() => h.close());

const last = () => h.vendor.requests.at(-1)!;

describe('embeddings', () => {
  it('routes to the cheapest embeddings model, priced input-only, logged with operation embeddings', async () => {
    const inputs = ['the first document about tolls', 'a second, longer document about gateways and budgets'];
    const { data, response } = await h.client.embeddings.create({ model: 'auto', input: inputs, dimensions: 4 }).withResponse();
    expect(last().path).toBe('/v1/embeddings');
    expect(last().body).toMatchObject({ model: 'emb-small', input: inputs, dimensions: 4, encoding_format: 'float' });
    const plain = await fetch(`${h.gw.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key}` }, body: JSON.stringify({ model: 'auto', input: inputs, dimensions: 4, encoding_format: 'float' }) });
    expect(((await plain.json()) as { data: { embedding: number[] }[] }).data.map((d) => d.embedding)).toEqual(inputs.map((t) => fakeEmbedding(t, 4)));
    expect(data.model).toBe('emb-small');
    expect(data.data.map((d) => d.embedding)).toEqual(inputs.map((t) => f32(fakeEmbedding(t, 4)))); // in input order (the fake answers reversed)
    const tokens = inputs.reduce((n, t) => n + fakeTokenCount(t), 0);
    expect(data.usage.prompt_tokens).toBe(tokens);
    const record = h.sink!.records.find((r) => r.requestId === response.headers.get('x-tollgate-request-id'))!;
    expect(record).toMatchObject({ operation: 'embeddings', model: 'emb-small', outcome: 'ok', tokens: { input: tokens, output: 0, source: 'vendor' } });
    expect(record.cost.vendor).toBe(Math.round(tokens * 2)); // $2 per 1M = 2 µ$ per token, no output part
    expect(Number(response.headers.get('x-tollgate-cost-micros'))).toBe(record.cost.full);
    expect(record.candidates.map((c) => c.model)).toEqual(['emb-small', 'emb-large']);
  });

  it('deduplicates exact inputs per tenant: only unseen inputs are sent and charged', async () => {
    await h.client.embeddings.create({ model: 'auto', input: ['alpha text', 'beta text'] });
    const before = h.vendor.count('/v1/embeddings');
    const { data, response } = await h.client.embeddings.create({ model: 'auto', input: ['beta text', 'gamma text'] }).withResponse();
    expect(h.vendor.count('/v1/embeddings')).toBe(before + 1);
    expect((last().body as { input: string[] }).input).toEqual(['gamma text']);
    expect(data.data.map((d) => d.embedding)).toEqual([f32(fakeEmbedding('beta text')), f32(fakeEmbedding('gamma text'))]);
    expect(data.usage.prompt_tokens).toBe(fakeTokenCount('gamma text'));
    expect(Number(response.headers.get('x-tollgate-cost-micros'))).toBe(fakeTokenCount('gamma text') * 2);
    const again = await h.client.embeddings.create({ model: 'auto', input: 'alpha text' }).withResponse();
    expect(h.vendor.count('/v1/embeddings')).toBe(before + 1); // all seen: no call, no charge
    expect(again.response.headers.get('x-tollgate-cost-micros')).toBe('0');
    const rec = h.sink!.records.at(-1)!;
    expect(rec).toMatchObject({ operation: 'embeddings', cache: { hit: true, match: 'exact' }, cost: { full: 0 } });
  });

  it('tollgate.embed() in the library: the same path; another tenant does not share the dedup cache', async () => {
    const before = h.vendor.count('/v1/embeddings');
    const r = await h.tollgate.embed({ tenant: 'globex', input: 'alpha text', model: 'emb-large' });
    expect(h.vendor.count('/v1/embeddings')).toBe(before + 1);
    expect(r).toMatchObject({ model: 'emb-large', cachedInputs: 0, usage: { inputTokens: fakeTokenCount('alpha text') } });
    expect(r.cost.vendor).toBe(Math.round(fakeTokenCount('alpha text') * 13));
    expect(r.embeddings).toEqual([fakeEmbedding('alpha text')]);
  });

  it('chat never goes to an embeddings model; an embeddings request never to a chat model', async () => {
    const chat = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    expect(chat.data.model).toBe('gpt');
    const rec = h.sink!.records.find((r) => r.requestId === chat.response.headers.get('x-tollgate-request-id'))!;
    expect(rec.candidates.find((c) => c.model === 'emb-small')).toMatchObject({ eligible: false, reason: 'embeddings model' });
    await expect(h.client.embeddings.create({ model: 'gpt', input: 'x' })).rejects.toMatchObject({ status: 400, param: 'model' });
    await expect(h.client.chat.completions.create({ model: 'emb-small', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 400, param: 'model' });
  });

  it('is budgeted and rate-limited like completions: refusals are typed, logged, and call no model', async () => {
    const before = h.vendor.count('/v1/embeddings');
    const big = 'tokens '.repeat(60);
    await expect(h.tollgate.embed({ tenant: 'initech', input: big })).rejects.toMatchObject({ code: 'budget_exceeded' });
    expect(h.sink!.records.at(-1)).toMatchObject({ tenant: 'initech', operation: 'embeddings', outcome: 'refused', error: { code: 'budget_exceeded' } });
    await h.tollgate.embed({ tenant: 'umbrella', input: 'one' });
    await h.tollgate.embed({ tenant: 'umbrella', input: 'two' });
    await expect(h.tollgate.embed({ tenant: 'umbrella', input: 'three' })).rejects.toMatchObject({ code: 'rate_limited' });
    expect(h.sink!.records.at(-1)).toMatchObject({ tenant: 'umbrella', operation: 'embeddings', outcome: 'refused', error: { code: 'rate_limited' } });
    expect(h.vendor.count('/v1/embeddings')).toBe(before + 2);
  });
});
