import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GenaiPricesCatalog } from '../../../adapters/genai-prices-catalog.js';
import { compilePolicy } from '../../../engine/compiled-policy.js';
import { brierSkill, readLogTraining } from '../../../offline/learning/index.js';
import { policySchema } from '../../../policies/schema.js';

const policy = compilePolicy(
  {
    policy: policySchema.parse({
      name: 'p',
      models: [
        { id: 'weak', tier: 'vendor', adapter: 'simulated', contextWindow: 8000, prices: { inputPerM: 1, outputPerM: 1 }, quality: 0.6 },
        { id: 'strong', tier: 'vendor', adapter: 'simulated', contextWindow: 8000, prices: { inputPerM: 9, outputPerM: 9 }, quality: 0.9 },
      ],
    }),
    version: 'x',
  },
  new GenaiPricesCatalog(),
);
const at = (s: number) => new Date(1_800_000_000_000 + s * 1000).toISOString();
const record = (id: string, s: number, model: string, extra: Record<string, unknown> = {}) => ({
  v: 1, time: at(s), requestId: id, tenant: 't', tags: [], policy: { name: 'p', version: 'x' }, rule: 'pinned', candidates: [], chosen: model, model, tier: 'vendor',
  tokens: { input: 5, output: 3, cached: 0, source: 'tokenizer' }, predictedCostMicros: 1, cost: { vendor: 7, infra: 0, ops: 0, full: 7 }, latencyMs: 1, outcome: 'ok', ...extra,
});
const fb = (id: string, score: number, s: number) => ({ v: 1, kind: 'feedback', requestId: id, score, time: at(s) });
const pr = (id: string, text: string, s: number) => ({ v: 1, kind: 'prompt', requestId: id, text, turns: 1, time: at(s) });

describe('readLogTraining', () => {
  it('one row per answered request with feedback and a prompt: latest feedback wins, cache hits / errors / other models left out, held out by time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-log-training-'));
    const log = join(dir, 'log.jsonl');
    const lines = [
      record('a', 3, 'weak'), pr('a', 'prompt a', 3),
      record('b', 1, 'strong'), pr('b', 'prompt b', 1),
      record('c', 2, 'weak', { cache: { hit: true, savedMicros: 0 } }), pr('c', 'prompt c', 2),
      record('d', 4, 'strong', { outcome: 'error', error: { code: 'x', message: 'y' } }),
      record('e', 5, 'other'), pr('e', 'prompt e', 5),
      record('f', 6, 'strong'), // its prompt is in the separate file
      record('g', 7, 'weak'), pr('g', 'prompt g', 7), // no feedback
      fb('a', 0.2, 20), fb('a', 0.9, 10), // the later time wins whatever the file order
      fb('b', 1, 11), fb('c', 1, 12), fb('d', 1, 13), fb('e', 1, 14), fb('f', 0, 15),
    ];
    writeFileSync(log, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const prompts = join(dir, 'prompts.jsonl');
    writeFileSync(prompts, `${JSON.stringify(pr('f', 'prompt f', 6))}\n${JSON.stringify(pr('a', 'prompt a, kept apart', 3))}\n`);
    const r = await readLogTraining(policy, log, { prompts, holdout: 1 / 3 });
    // a, b, e, f, g answered (c: a cache hit, d: an error); g has no feedback; e's model is not the policy's.
    expect(r.counts).toEqual({ records: 7, answered: 5, withFeedback: 4, withPrompt: 4, rows: 3, otherModels: 1 });
    expect(r.train.rows.map((x) => [x.prompt, x.scores])).toEqual([['prompt b', { strong: 1 }], ['prompt a, kept apart', { weak: 0.2 }]]);
    expect(r.train.models).toEqual(['weak', 'strong']);
    expect(r.train.emptyCells).toBe(2);
    expect(r.train.rows[0]!.costs).toEqual({ strong: 7 });
    expect(r.heldOut.rows.map((x) => [x.prompt, x.scores])).toEqual([['prompt f', { strong: 0 }]]);
    expect(r.heldOut.models).toEqual(['strong']);
    await expect(readLogTraining(policy, log, { holdout: 1 })).rejects.toMatchObject({ code: 'routing_data_invalid' });
  });

  it('brierSkill scores labelled cells only, against the prior', () => {
    const s = brierSkill([[0.9, 0.1], [0.2, 0.5]], [[1, undefined], [0, undefined]], () => 0.5);
    expect(s.cells).toBe(2);
    expect(s.brier).toBeCloseTo((0.01 + 0.04) / 2, 10);
    expect(s.skill).toBeCloseTo(1 - 0.05 / 0.5, 10);
  });
});
