import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../compose.js';
import { GenaiPricesCatalog, compilePolicy, resolvePolicy, type PolicyInput } from '../../index.js';
import { createEmbedder, LocalEmbeddingsAdapter, type Embedder } from '../../embeddings/index.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { fakeEmbedding } from '../support/fake-vendor-embeddings.js';
import { fakeTokenCount } from '../support/fake-vendor-server.js';
import { type Harness, startHarness } from '../gateway/harness.js';

/**
 * #15 item 4: the bundled ONNX embedder as a `local-gpu` embeddings model (`adapter: local-onnx`),
 * infra-priced, routed to by `embed()` and `POST /v1/embeddings` when it is the cheapest embeddings model.
 */

/** $1/GPU-hour at 5,000 tokens/s: 1e6 / (5,000 × 3,600) h × $1 = 55,556 µ$ per 1M tokens, under the vendor's $0.13. */
const cheapInfra = { gpuHourlyUsd: 1, tokensPerSecond: 5_000 };
/** $1/GPU-hour at 100 tokens/s: $2.78 per 1M tokens — dearer than the vendor's $0.13. */
const dearInfra = { gpuHourlyUsd: 1, tokensPerSecond: 100 };

const localModel = (infra: { gpuHourlyUsd: number; tokensPerSecond: number }) => ({ id: 'local-embed', tier: 'local-gpu' as const, adapter: 'local-onnx' as const, operation: 'embeddings' as const, contextWindow: 512, infra, embeddingDimensions: [256] });
const vendorModel = (url: string) => ({ id: 'emb-vendor', tier: 'vendor' as const, adapter: 'openai-compatible' as const, operation: 'embeddings' as const, endpoint: `${url}/v1`, apiKeyEnv: 'TOLLGATE_TEST_KEY', encoding: 'cl100k_base' as const, contextWindow: 8191, prices: { inputPerM: 0.13, outputPerM: 0 } });
const chatModel = (url: string) => ({ id: 'gpt', tier: 'vendor' as const, adapter: 'openai-compatible' as const, endpoint: `${url}/v1`, apiKeyEnv: 'TOLLGATE_TEST_KEY', contextWindow: 128000, prices: { inputPerM: 5, outputPerM: 20 } });

const policyWith = (infra: typeof cheapInfra) => (url: string): Partial<PolicyInput> => ({ models: [chatModel(url), vendorModel(url), localModel(infra)], rules: [{ name: 'default', qualityFloor: 0 }], fallbacks: {}, tenants: { acme: {} } });

let h: Harness;
let direct: Embedder;
beforeAll(async () => {
  h = await startHarness({ gpt: 'ok' }, { policy: policyWith(cheapInfra) });
  direct = await createEmbedder();
}, 60_000);
afterAll(() => h?.close());

/** Expected infra cost of `tokens` under `infra` (the engine's pricing: tokens × µ$ per 1M, rounded once). */
const infraMicros = (tokens: number, infra: typeof cheapInfra) => Math.round((tokens * Math.round((1e6 / (infra.tokensPerSecond * 3600)) * infra.gpuHourlyUsd * 1e6)) / 1e6);

describe('local-onnx embeddings model', () => {
  it('embed() routes to the cheaper local model; the vectors are the ONNX model\'s, the record infra-priced', async () => {
    const texts = [
      'Tollgate routes each request to the cheapest adequate model, counting its tokens before the call and pricing them as the vendor bills.',
      'Quarterly revenue rose 4% on strong cloud demand, while operating costs for self-hosted inference fell as utilisation improved.',
      'ok',
    ];
    const before = h.vendor.count('/v1/embeddings');
    const r = await h.tollgate.embed({ tenant: 'acme', input: texts });
    expect(r.model).toBe('local-embed');
    expect(h.vendor.count('/v1/embeddings')).toBe(before); // the vendor was not called
    const expected = await direct.embed(texts);
    expect(r.embeddings).toHaveLength(3);
    r.embeddings.forEach((v, i) => {
      expect(v).toHaveLength(256);
      v.forEach((x, k) => expect(x).toBeCloseTo(expected[i]![k]!, 6));
    });
    const tokens = texts.reduce((n, t) => n + direct.countTokens(t), 0);
    expect(tokens).toBeGreaterThan(40);
    expect(r.usage.inputTokens).toBe(tokens);
    expect(r.record).toMatchObject({ operation: 'embeddings', model: 'local-embed', tier: 'local-gpu', outcome: 'ok', tokens: { input: tokens, output: 0 } });
    expect(r.record.cost).toMatchObject({ vendor: 0, infra: infraMicros(tokens, cheapInfra), ops: 0 });
    expect(r.record.cost.infra).toBeGreaterThan(0);
    expect(r.record.cost.full).toBe(r.record.cost.infra);
    const byModel = Object.fromEntries(r.record.candidates.map((c) => [c.model, c.predictedCostMicros]));
    expect(Object.keys(byModel).sort()).toEqual(['emb-vendor', 'local-embed']); // chat models are not candidates
    expect(byModel['local-embed']!).toBeLessThan(byModel['emb-vendor']!);
    expect(h.sink!.records.at(-1)).toMatchObject({ requestId: r.id, operation: 'embeddings', model: 'local-embed' });
  });

  it('POST /v1/embeddings (official openai client, base64 vectors) is answered by the local model', async () => {
    const input = ['a document about toll roads and gateways', 'budgets per tenant'];
    const { data, response } = await h.client.embeddings.create({ model: 'auto', input }).withResponse();
    expect(data.model).toBe('local-embed');
    const expected = await direct.embed(input);
    data.data.forEach((d, i) => d.embedding.forEach((x, k) => expect(x).toBeCloseTo(expected[i]![k]!, 6)));
    const tokens = input.reduce((n, t) => n + direct.countTokens(t), 0);
    expect(data.usage.prompt_tokens).toBe(tokens);
    const record = h.sink!.records.find((x) => x.requestId === response.headers.get('x-tollgate-request-id'))!;
    expect(record).toMatchObject({ operation: 'embeddings', model: 'local-embed', tokens: { input: tokens }, cost: { vendor: 0, infra: infraMicros(tokens, cheapInfra) } });
    expect(Number(response.headers.get('x-tollgate-cost-micros'))).toBe(record.cost.full);
  });

  it('a pinned vendor model still goes to the vendor; dimensions the local model lacks are a 400 naming the field', async () => {
    const r = await h.tollgate.embed({ tenant: 'acme', input: 'pinned to the vendor', model: 'emb-vendor' });
    expect(r.model).toBe('emb-vendor');
    expect(r.embeddings).toEqual([fakeEmbedding('pinned to the vendor')]);
    await expect(h.client.embeddings.create({ model: 'local-embed', input: 'x y z', dimensions: 64 })).rejects.toMatchObject({ status: 400, param: 'dimensions' });
    await expect(h.client.chat.completions.create({ model: 'local-embed', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 400, param: 'model' });
  });

  it('a request for dimensions the local model does not give is routed to the vendor (the local candidate says why)', async () => {
    const { data, response } = await h.client.embeddings.create({ model: 'auto', input: ['needs four numbers'], dimensions: 4 }).withResponse();
    expect(data.model).toBe('emb-vendor');
    expect(data.data[0]!.embedding).toHaveLength(4);
    const record = h.sink!.records.find((x) => x.requestId === response.headers.get('x-tollgate-request-id'))!;
    expect(record.candidates.find((c) => c.model === 'local-embed')).toMatchObject({ eligible: false, reason: 'gives 256-dimensional vectors, not 4' });
    const r = await h.tollgate.embed({ tenant: 'acme', input: 'the native size', dimensions: 256 });
    expect(r.model).toBe('local-embed');
  });

  it('when the local model is dearer, the vendor wins: routing is by predicted cost, not by tier', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: { name: 'dear-local', ...policyWith(dearInfra)(h.vendor.url) } as PolicyInput, decisionLog: sink });
    const text = 'the same text, now cheaper at the vendor';
    const r = await tg.embed({ tenant: 'acme', input: text });
    expect(r.model).toBe('emb-vendor');
    expect(r.record.cost).toMatchObject({ vendor: Math.round(fakeTokenCount(text) * 0.13), infra: 0 });
  });

  it('the policy validator ties local-onnx to operation embeddings, and needs no endpoint', () => {
    expect(() => resolvePolicy({ name: 'p', models: [{ ...localModel(cheapInfra), operation: undefined }] })).toThrow(/models\[0\]\.operation: adapter "local-onnx" serves embeddings only/);
    const ok = resolvePolicy({ name: 'p', models: [{ ...localModel(cheapInfra), onnx: { executionProvider: 'cuda' } }] });
    expect(ok.policy.models[0]!.onnx).toEqual({ executionProvider: 'cuda', allowCpuFallback: true });
    const m = compilePolicy(ok, new GenaiPricesCatalog()).models[0]!;
    expect(m.basis.infraPerM).toBe(55_556);
  });

  it('a vendor embeddings model without prices takes its input price from the catalog (which lists no output price for it)', () => {
    const loaded = resolvePolicy({ name: 'p', models: [{ id: 'small', tier: 'vendor', adapter: 'openai-compatible', operation: 'embeddings', endpoint: 'http://127.0.0.1:9/v1', catalog: { provider: 'openai', model: 'text-embedding-3-small' }, contextWindow: 8191 }] });
    expect(compilePolicy(loaded, new GenaiPricesCatalog()).models[0]!.basis.price).toMatchObject({ inputPerM: 20_000, outputPerM: 0 });
    const chat = resolvePolicy({ name: 'p', models: [{ id: 'small', tier: 'vendor', adapter: 'openai-compatible', endpoint: 'http://127.0.0.1:9/v1', catalog: { provider: 'openai', model: 'text-embedding-3-small' }, contextWindow: 8191 }] });
    expect(() => compilePolicy(chat, new GenaiPricesCatalog())).toThrow(/has no token prices/); // a chat model still needs both prices
  });

  it('the adapter loads the embedder once per model directory and provider, and refuses chat', async () => {
    let created = 0;
    const adapter = new LocalEmbeddingsAdapter({ createEmbedder: async () => (created++, direct) });
    const spec = ok().policy.models[0]!;
    const signal = new AbortController().signal;
    await adapter.embed({ model: spec, input: ['one'], requestId: 'a', signal });
    await adapter.embed({ model: spec, input: ['two', 'three'], requestId: 'b', signal });
    expect(created).toBe(1);
    await expect(adapter.embed({ model: spec, input: ['x'], dimensions: 64, requestId: 'd', signal })).rejects.toMatchObject({ code: 'invalid_request', issues: [{ path: 'dimensions' }] });
    expect(adapter.lastCall).toMatchObject({ model: 'local-embed', texts: 2, tokens: direct.countTokens('two') + direct.countTokens('three'), executionProvider: 'cpu' });
    await expect(adapter.call({ model: spec, messages: [{ role: 'user', content: 'hi' }], maxOutputTokens: 5, requestId: 'c', signal })).rejects.toMatchObject({ code: 'provider_client_error' });
  });
});

const ok = () => resolvePolicy({ name: 'p', models: [localModel(cheapInfra)] });
