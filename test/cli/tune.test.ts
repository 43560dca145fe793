import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../compose.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { readDecisionLog } from '../../engine/decision-log-reader.js';
import { cli, expectOneLineError } from './capture-io.js';
import { TRAIN, trainedPolicy } from './routing-fixtures.js';

let t: Awaited<ReturnType<typeof trainedPolicy>>;
beforeAll(async () => {
  t = await trainedPolicy('tollgate-tune-');
});

const shareOf = (out: string) => Number(/after\s+floor [\d.]+\s+strong share\s+([\d.]+)%/.exec(out)![1]) / 100;

describe('tollgate tune', () => {
  it('--data: meets a strong-share target within 2 points and writes a new policy version beside the input', async () => {
    const r = await cli('tune', '--policy', t.policy, '--data', TRAIN, '--target', 'strong-share=0.3');
    expect(r.code).toBe(0);
    expect(Math.abs(shareOf(r.out) - 0.3)).toBeLessThanOrEqual(0.02);
    const tuned = join(t.dir, 'mmlu.tuned.yaml');
    expect(r.out).toContain(`wrote ${tuned}`);
    const doc = parse(readFileSync(tuned, 'utf8'));
    expect(doc.rules[0].qualityFloor).toBeGreaterThan(0);
    expect(doc.classifier.artifact).toBe('./router');
    expect(readFileSync(tuned, 'utf8')).toContain('# Learned routing'); // comments kept
    const q = await cli('tune', '--policy', t.policy, '--data', TRAIN, '--target', 'quality=0.95', '--out', join(t.dir, 'q.json'));
    expect(q.code).toBe(0);
    expect(q.out).toMatch(/before .*\nafter /);
  });

  it('--log: replays logged decisions and uses feedback lines; Tollgate.feedback appends them', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: t.policy, decisionLog: sink });
    const lines: string[] = [];
    for (let i = 0; i < 60; i++) {
      const d = await tg.decide({ id: `r${i}`, tenant: 'acme', messages: [{ role: 'user', content: `Question ${i}: ${'why '.repeat(i % 9)}is the sky ${i % 2 ? 'blue' : 'dark'}? A. yes B. no` }] });
      expect(d.classification.source).toMatch(/^logreg@/);
      const c = d.classification;
      lines.push(JSON.stringify({
        v: 1, time: new Date(1_700_000_000_000 + i).toISOString(), requestId: d.requestId, tenant: 'acme', tags: [], policy: { name: 'mmlu-learned', version: 'x' },
        rule: d.rule, classification: { task: c.task, complexity: c.complexity, predictedOutputTokens: c.predictedOutputTokens, source: c.source },
        candidates: d.candidates, chosen: d.model, model: d.model, tier: d.tier, tokens: { input: d.promptTokens, output: 3, cached: 0, source: 'tokenizer' },
        predictedCostMicros: d.predictedCostMicros, cost: { vendor: 1, infra: 0, ops: 0, full: 1 }, latencyMs: 1, outcome: 'ok',
      }));
      if (i % 3 === 0) await tg.feedback(d.requestId, i % 2 ? 1 : 0);
    }
    await expect(tg.feedback('r1', 1.5)).rejects.toMatchObject({ code: 'invalid_request' });
    const feedback = sink.records.map((r) => JSON.stringify(r));
    expect(JSON.parse(feedback[0]!)).toMatchObject({ v: 1, kind: 'feedback', requestId: 'r0', score: 0 });
    const log = join(t.dir, 'decisions.jsonl');
    writeFileSync(log, `${[...lines, ...feedback].join('\n')}\n`);
    const records = [];
    for await (const r of readDecisionLog(log)) records.push(r);
    expect(records).toHaveLength(60); // feedback lines skipped
    const r = await cli('tune', '--policy', t.policy, '--log', log, '--target', 'strong-share=0.3');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/replayed 60 requests \(20 with feedback\)/);
    expect(Math.abs(shareOf(r.out) - 0.3)).toBeLessThanOrEqual(0.05);
  });

  it('bad inputs: one-line errors', async () => {
    expectOneLineError(await cli('tune', '--policy', t.policy, '--data', TRAIN, '--target', 'fast=1'), /--target must be/);
    expectOneLineError(await cli('tune', '--policy', t.policy, '--target', 'strong-share=0.3'), /exactly one of --log FILE or --data FILE/);
    expectOneLineError(await cli('tune', '--policy', t.policy, '--data', TRAIN, '--target', 'max-cost-per-1m=0.0001'), /tune_target_unreachable/);
  });
});
