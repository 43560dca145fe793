import type { DeferredRequest } from '../../../adapters/batch/deferred-batcher.js';
import { GenaiPricesCatalog } from '../../../adapters/genai-prices-catalog.js';
import { compilePolicy } from '../../../index.js';
import { resolvePolicy } from '../../../policies/loader.js';

/** A policy with an OpenAI-compatible and an Anthropic vendor model at `url` (the fake vendor), and a local one. */
export function batchPolicy(url: string) {
  return compilePolicy(
    resolvePolicy({
      name: 'batch',
      models: [
        { id: 'gpt-4o-mini', tier: 'vendor', adapter: 'openai-compatible', endpoint: `${url}/v1`, contextWindow: 128000, prices: { inputPerM: 0.15, outputPerM: 0.6 } },
        { id: 'claude-haiku', tier: 'vendor', adapter: 'anthropic', endpoint: url, upstreamModel: 'claude-haiku-4-5', contextWindow: 200000, prices: { inputPerM: 1, outputPerM: 5 } },
        { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 8192, infra: { gpuHourlyUsd: 1, gpus: 1, tokensPerSecond: 1000 } },
      ],
    }),
    new GenaiPricesCatalog(),
  );
}

/** 1,000 deferrable requests: 3 in 5 to the OpenAI model, the rest to the Anthropic one. */
export const deferrable = (n = 1_000): DeferredRequest[] =>
  Array.from({ length: n }, (_, i) => ({ requestId: `req-${i}`, tenant: `t${i % 4}`, model: i % 5 < 3 ? 'gpt-4o-mini' : 'claude-haiku', messages: [{ role: 'user', content: `Summarise document ${i}: ${'lorem ipsum '.repeat(1 + (i % 9))}` }], maxOutputTokens: 64 }));

