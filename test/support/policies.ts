import type { PolicyInput } from '../../policies/schema.js';

/** A small three-tier policy on the simulated adapter with explicit prices (no catalog needed). */
export function simPolicy(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    name: 'test-sim',
    models: [
      { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 4096, infra: { gpuHourlyUsd: 3.6, gpus: 1, tokensPerSecond: 20000 }, quality: 0.6 },
      { id: 'mini', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, prices: { inputPerM: 0.15, outputPerM: 0.6 }, quality: 0.8 },
      { id: 'big', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, prices: { inputPerM: 2.5, outputPerM: 10 }, quality: 0.95 },
    ],
    rules: [{ name: 'default', qualityFloor: 0.5 }],
    ...overrides,
  };
}

/** A policy whose models are served by a fake vendor at `url`; `upstream` picks the fake's behaviour per model. */
export function httpPolicy(url: string, upstream: Record<string, string>, extra: Partial<PolicyInput> = {}): PolicyInput {
  const ids = Object.keys(upstream);
  return {
    name: 'test-http',
    models: ids.map((id, i) => ({
      id,
      tier: 'vendor' as const,
      adapter: 'openai-compatible' as const,
      endpoint: `${url}/v1`,
      apiKeyEnv: 'TOLLGATE_TEST_KEY',
      upstreamModel: upstream[id],
      contextWindow: 128000,
      prices: { inputPerM: 1 + i, outputPerM: 2 + i },
      quality: 0.9,
    })),
    rules: [{ name: 'first', models: [ids[0]!] }],
    fallbacks: ids.length > 1 ? { [ids[0]!]: ids.slice(1) } : {},
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 50, timeoutMs: 1500 },
    ...extra,
  };
}
