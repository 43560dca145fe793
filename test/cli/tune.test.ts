import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../compose.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { readDecisionLog } from '../../offline/reporting/decision-log-reader.js';
import { cli, expectOneLineError } from './capture-io.js';
import { EVAL, STRONG, TRAIN, trainedPolicy, WEAK } from './routing-fixtures.js';
import { buildReplayItems } from '../../offline/learning/evaluate.js';
import { loadPolicyClassifier } from '../../adapters/classifiers/policy-classifier.js';
import { GenaiPricesCatalog } from '../../adapters/genai-prices-catalog.js';
import { compilePolicy } from '../../engine/compiled-policy.js';
import { readLabeledCsv } from '../../offline/learning/labeled-csv.js';
import { replayAt, separatingRule } from '../../offline/learning/replay.js';
import { loadPolicy } from '../../policies/loader.js';

let t: Awaited<ReturnType<typeof trainedPolicy>>;
beforeAll(async () => {
  t = await trainedPolicy('tollgate-tune-');
});

const shareOf = (out: string) => Number(/after\s+floor [\d.]+\s+strong share\s+([\d.]+)%/.exec(out)![1]) / 100;

describe('tollgate tune', () => {
  it('--data: meets a strong-share target within 2 points and writes a new policy version beside the input', async () => {
    const r = await cli('tune', '--policy', t.policy, '--data', TRAIN, '--target', 'strong-share=0.3');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/replayed 300 requests \(the classifier's training rows: out-of-fold predictions\)/);
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

  it('held-out: with the traffic-rank scale, a strong-share floor tuned on the training file holds on unseen subjects', async () => {
    const rankPolicy = join(t.dir, 'rank.yaml');
    writeFileSync(rankPolicy, readFileSync(t.policy, 'utf8').replace('artifact: ./router', 'artifact: ./router\n  scale: traffic-rank\n  rankWindow: 30'));
    const out = join(t.dir, 'rank.tuned.yaml');
    expect((await cli('tune', '--policy', rankPolicy, '--data', TRAIN, '--target', 'strong-share=0.3', '--out', out)).code).toBe(0);
    const loaded = await loadPolicy(out);
    const floor = loaded.policy.rules[0]!.qualityFloor!;
    const policy = compilePolicy(loaded, new GenaiPricesCatalog());
    const items = await buildReplayItems(policy, readLabeledCsv(EVAL, [WEAK, STRONG]), await loadPolicyClassifier(loaded));
    const share = replayAt(policy, separatingRule(policy), items, floor).strongShare;
    // 200 prompts against a window of 30 (the default window is 300: the full-size check, ±2 points on
    // mmlu_eval, is the routing bench); without the scale the same policy and floor give a far lower share.
    expect(Math.abs(share - 0.3)).toBeLessThanOrEqual(0.05);
    const probabilityScale = await loadPolicyClassifier({ ...loaded, policy: { ...loaded.policy, classifier: { ...loaded.policy.classifier!, scale: undefined } } });
    const plain = await buildReplayItems(policy, readLabeledCsv(EVAL, [WEAK, STRONG]), probabilityScale);
    expect(replayAt(policy, separatingRule(policy), plain, floor).strongShare).toBeLessThan(0.1);
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
