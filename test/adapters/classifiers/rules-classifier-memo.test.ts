import { describe, expect, it } from 'vitest';
import { detectTask, hasHardCue, RulesClassifier } from '../../../adapters/classifiers/rules-classifier.js';
import { resolvePolicy } from '../../../policies/loader.js';
import { simPolicy } from '../../support/policies.js';

const models = resolvePolicy(simPolicy({ models: [
  { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 4096, infra: { gpuHourlyUsd: 1, tokensPerSecond: 1000 }, quality: 0.6, taskQuality: { chat: 0.85, code: 0.4 } },
  { id: 'big', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, prices: { inputPerM: 1, outputPerM: 1 }, quality: 0.95 },
] })).policy.models;

const input = (text: string, promptTokens: number, task?: 'code') => ({ request: { tenant: 't', messages: [{ role: 'user' as const, content: text }], ...(task ? { task } : {}) }, text, promptTokens }) as Parameters<RulesClassifier['classify']>[0];

describe('RulesClassifier (remembered qualities, empty prompts)', () => {
  it('matches no pattern on an empty prompt', () => {
    expect(detectTask('')).toBe('chat');
    expect(hasHardCue('')).toBe(false);
  });

  it('gives a fresh quality record equal to one built afresh, whatever an earlier caller did to its own', () => {
    const memo = new RulesClassifier();
    for (let i = 0; i < 3_000; i++) {
      const args = input(i % 5 === 0 ? '' : i % 7 === 0 ? 'Prove step by step' : 'hello', (i * 37) % 20_000, i % 3 === 0 ? 'code' : undefined);
      const c = memo.classify(args, models);
      expect(c).toEqual(new RulesClassifier().classify(args, models));
      expect(Object.keys(c.quality)).toEqual(['local', 'big']);
      c.quality.local = -1; // the caller's to keep or change
    }
  });
});
