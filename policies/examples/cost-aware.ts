import { definePolicy } from '../define-policy.js';

/**
 * Cost-aware three tiers: a self-hosted Llama on our own GPUs, a distilled small model, and vendor
 * models only where the classifier predicts the cheap tiers would fall short.
 */
export default definePolicy({
  name: 'cost-aware',
  description: 'Cheapest model that meets the quality floor: local GPU → distilled → vendor.',
  models: [
    {
      id: 'llama-3.1-8b-local',
      tier: 'local-gpu',
      adapter: 'openai-compatible',
      endpoint: 'http://127.0.0.1:8000/v1',
      upstreamModel: 'meta-llama/Llama-3.1-8B-Instruct',
      contextWindow: 32768,
      infra: { gpuHourlyUsd: 2.5, gpus: 1, tokensPerSecond: 2400 },
      quality: 0.66,
      taskQuality: { chat: 0.82, summarization: 0.8, extraction: 0.8, 'retrieval-qa': 0.78, code: 0.55, math: 0.45 },
    },
    {
      id: 'distil-1b',
      tier: 'distilled',
      adapter: 'openai-compatible',
      endpoint: 'http://127.0.0.1:8001/v1',
      contextWindow: 8192,
      infra: { gpuHourlyUsd: 0.8, gpus: 1, tokensPerSecond: 6000 },
      quality: 0.6,
      taskQuality: { chat: 0.76, extraction: 0.78, summarization: 0.7, 'retrieval-qa': 0.66, code: 0.35, math: 0.3 },
    },
    {
      id: 'gpt-4o-mini',
      tier: 'vendor',
      adapter: 'openai-compatible',
      endpoint: 'https://api.openai.com/v1',
      apiKeyEnv: 'OPENAI_API_KEY',
      contextWindow: 128000,
      quality: 0.8,
      taskQuality: { code: 0.74, math: 0.7 },
    },
    {
      id: 'gpt-4o',
      tier: 'vendor',
      adapter: 'openai-compatible',
      endpoint: 'https://api.openai.com/v1',
      apiKeyEnv: 'OPENAI_API_KEY',
      contextWindow: 128000,
      quality: 0.92,
    },
  ],
  rules: [
    { name: 'hard-code-and-math', when: { tasks: ['code', 'math'], complexity: { min: 0.5 } }, models: ['gpt-4o-mini', 'gpt-4o'], qualityFloor: 0.78 },
    { name: 'long-context', when: { promptTokens: { min: 8000 } }, qualityFloor: 0.7 },
    { name: 'everything-else', qualityFloor: 0.72 },
  ],
  defaults: { qualityFloor: 0.7, maxOutputTokens: 1024, onContextOverflow: 'reroute' },
  fallbacks: {
    'distil-1b': ['llama-3.1-8b-local', 'gpt-4o-mini'],
    'llama-3.1-8b-local': ['gpt-4o-mini'],
    'gpt-4o-mini': ['gpt-4o'],
  },
  ops: { percent: 5 },
  tenants: {
    marketing: { costCenter: 'CC-200', budgets: [{ window: 'month', usd: 25 }] },
    research: { costCenter: 'CC-310', budgets: [{ window: 'day', usd: 40 }], actions: [{ atFraction: 0.8, action: 'downgrade', toTier: 'local-gpu' }] },
  },
});
