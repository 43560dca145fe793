import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnthropicBatchClient, OpenAIBatchClient } from '../../adapters/batch/vendor-batch-client.js';
import type { DeferredOptions } from '../../compose.js';
import type { PolicyInput } from '../../policies/schema.js';

/**
 * A policy for deferrable work against the fake batch vendor at `url` (test/adapters/batch/batch-fake-vendor.ts):
 * an OpenAI-compatible and an Anthropic vendor model, a local one (no batch API); tenant `acme` with a
 * day budget of `budgetUsd`; rules: tag `nightly` → defer to claude-haiku, tag `local-night` → defer to the
 * local model (refused), tag `local-try` → defer to local or run now; anything else → gpt-4o-mini now.
 */
export function deferPolicy(url: string, budgetUsd = 1): PolicyInput {
  return {
    name: 'deferrable',
    models: [
      { id: 'gpt-4o-mini', tier: 'vendor', adapter: 'openai-compatible', endpoint: `${url}/v1`, contextWindow: 128000, prices: { inputPerM: 0.15, outputPerM: 0.6 } },
      { id: 'claude-haiku', tier: 'vendor', adapter: 'anthropic', endpoint: url, upstreamModel: 'claude-haiku-4-5', contextWindow: 200000, prices: { inputPerM: 1, outputPerM: 5 } },
      { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 8192, infra: { gpuHourlyUsd: 1, gpus: 1, tokensPerSecond: 1000 } },
    ],
    tenants: { acme: { budgets: [{ window: 'day', usd: budgetUsd }] }, other: {} },
    rules: [
      { name: 'nightly', when: { tags: ['nightly'] }, models: ['claude-haiku'], action: 'defer', defer: { within: '2d' } },
      { name: 'local-night', when: { tags: ['local-night'] }, models: ['local'], action: 'defer' },
      { name: 'local-try', when: { tags: ['local-try'] }, models: ['local'], action: 'defer', defer: { onUnsupported: 'run' } },
      { name: 'now', models: ['gpt-4o-mini'] },
    ],
  };
}

/** `createTollgate({ deferred })` for the fake vendor: a fresh job store, submitted on the first tick, polled every 5 ms. */
export function deferredOptions(url: string, o: Partial<DeferredOptions> = {}): DeferredOptions {
  return {
    clients: { openai: new OpenAIBatchClient({ baseUrl: url, apiKey: 'sk-test' }), anthropic: new AnthropicBatchClient({ baseUrl: url, apiKey: 'sk-ant-test' }) },
    store: join(mkdtempSync(join(tmpdir(), 'tollgate-deferred-')), 'batch-jobs.json'),
    maxAgeMs: 0,
    pollMs: 5,
    ...o,
  };
}
