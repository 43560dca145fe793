import { describe, expect, it } from 'vitest';
import { detectTask, RulesClassifier } from '../../../adapters/classifiers/rules-classifier.js';
import { validateRequest } from '../../../engine/request.js';
import { resolvePolicy } from '../../../policies/loader.js';
import { simPolicy } from '../../support/policies.js';

const models = resolvePolicy(simPolicy({ models: [
  { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 4096, infra: { gpuHourlyUsd: 1, tokensPerSecond: 1000 }, quality: 0.6, taskQuality: { chat: 0.85 } },
  { id: 'big', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, prices: { inputPerM: 1, outputPerM: 1 }, quality: 0.95 },
] })).policy.models;

const classify = (content: string, extra: Record<string, unknown> = {}, promptTokens = 50) =>
  new RulesClassifier().classify({ request: validateRequest({ tenant: 't', messages: [{ role: 'user', content }], ...extra }), text: content, promptTokens }, models);

describe('RulesClassifier', () => {
  it('detects each task from its cues', () => {
    expect(detectTask('Fix this bug:\n```ts\nconst x = 1\n```')).toBe('code');
    expect(detectTask('Prove that the square root of 2 is irrational.')).toBe('math');
    expect(detectTask('Summarize the meeting notes below.')).toBe('summarization');
    expect(detectTask('Extract the invoice number and total as JSON.')).toBe('extraction');
    expect(detectTask('Based on the context below, when was the warranty issued?')).toBe('retrieval-qa');
    expect(detectTask('Hi! How are you today?')).toBe('chat');
  });

  it('uses a task hint when the request carries one', () => {
    expect(classify('hello', { task: 'math' }).task).toBe('math');
  });

  it('scores complexity higher for long, hard prompts and lowers weak models more', () => {
    const easy = classify('Hi! How are you today?', {}, 10);
    const hard = classify('Prove step by step, with rigorous edge cases, that the algorithm terminates.', {}, 6000);
    expect(hard.complexity).toBeGreaterThan(easy.complexity);
    expect(easy.quality.local).toBeCloseTo(0.85 - easy.complexity * 0.15, 6);
    expect(hard.quality.big! - hard.quality.local!).toBeGreaterThan(easy.quality.big! - easy.quality.local!);
    for (const c of [easy, hard]) for (const q of Object.values(c.quality)) expect(q).toBeGreaterThanOrEqual(0);
  });

  it('predicts output length by task, capped by maxOutputTokens, with an upper estimate above it', () => {
    const c = classify('Write a Python function that parses ISO dates.');
    expect(c.task).toBe('code');
    expect(c.outputTokensUpper).toBeGreaterThan(c.predictedOutputTokens);
    const capped = classify('Write a Python function that parses ISO dates.', { maxOutputTokens: 100 });
    expect(capped.predictedOutputTokens).toBe(100);
    expect(capped.outputTokensUpper).toBe(100);
  });
});
