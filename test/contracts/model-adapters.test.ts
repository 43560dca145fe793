import { afterAll, beforeAll } from 'vitest';
import { AnthropicAdapter } from '../../adapters/anthropic-adapter.js';
import { OpenAICompatibleAdapter } from '../../adapters/openai-compatible-adapter.js';
import { SimulatedAdapter } from '../../adapters/simulated-adapter.js';
import { modelSchema, type ModelSpec } from '../../policies/schema.js';
import { modelAdapterContract, type ModelAdapterFixture } from '../../testing/index.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';

/** The exported ModelAdapter suite against every built-in adapter: the HTTP ones against the fake vendor servers. */
const KEY = 'sk-contract-secret-0123456789';
let vendor: FakeVendor;
beforeAll(async () => {
  process.env.TOLLGATE_CONTRACT_KEY = KEY;
  vendor = await startFakeVendor({ apiKey: KEY, retryAfter: '0' });
});
afterAll(async () => vendor?.close());

function httpFixture(adapter: OpenAICompatibleAdapter | AnthropicAdapter, kind: 'openai-compatible' | 'anthropic'): ModelAdapterFixture {
  const spec = (upstreamModel: string): ModelSpec =>
    modelSchema.parse({
      id: `contract-${upstreamModel}`,
      tier: 'vendor',
      adapter: kind,
      endpoint: kind === 'anthropic' ? vendor.url : vendor.openaiBaseUrl,
      apiKeyEnv: 'TOLLGATE_CONTRACT_KEY',
      upstreamModel,
      contextWindow: 128_000,
      prices: { inputPerM: 1, outputPerM: 2 },
    });
  return {
    adapter,
    model: spec('ok'),
    failing: { server_error: spec('500'), client_error: spec('400'), rate_limited: spec('429'), bad_response: spec('malformed') },
    hanging: spec('hang'),
    cutStream: spec('cut-stream'),
    secrets: [KEY],
  };
}

modelAdapterContract('OpenAICompatibleAdapter (fake vendor)', () => httpFixture(new OpenAICompatibleAdapter(), 'openai-compatible'));
modelAdapterContract('AnthropicAdapter (fake vendor)', () => httpFixture(new AnthropicAdapter(), 'anthropic'));
const simulated = (simulate: Record<string, number>): ModelSpec =>
  modelSchema.parse({ id: 'sim', tier: 'vendor', adapter: 'simulated', contextWindow: 8_000, prices: { inputPerM: 1, outputPerM: 2 }, simulate });
modelAdapterContract('SimulatedAdapter', () => ({ adapter: new SimulatedAdapter(7), model: simulated({ latencyMs: 1 }), hanging: simulated({ latencyMs: 600_000 }) }));
