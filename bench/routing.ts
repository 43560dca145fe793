/**
 * Routing bench: trains the kNN and logistic-regression classifiers on the full mmlu_train.csv
 * (../shared; skipped with a message when absent), evaluates them, the rules classifier and random
 * routing on mmlu_eval.csv (APGR, CPT(50/80/95%), strong share at 95% of GPT-4 quality), checks that a
 * strong-share=0.3 floor tuned on train holds on eval, and measures per-request classify latency.
 * Standalone: `npx jiti bench/routing.ts`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LearnedClassifier } from '../adapters/classifiers/learned-classifier.js';
import { buildReplayItems, evaluateItems } from '../adapters/classifiers/learned/evaluate.js';
import { trainClassifier } from '../adapters/classifiers/learned/train.js';
import { RulesClassifier } from '../adapters/classifiers/rules-classifier.js';
import { GenaiPricesCatalog } from '../adapters/genai-prices-catalog.js';
import { packageRoot } from '../cli/paths.js';
import { createEmbedder } from '../embeddings/index.js';
import { compilePolicy } from '../engine/compiled-policy.js';
import { choosePoint } from '../engine/routing-eval/calibrate.js';
import { readLabeledCsv } from '../engine/routing-eval/labeled-csv.js';
import { floorGrid, replayAt, replayPinned, separatingRule } from '../engine/routing-eval/replay.js';
import type { RequestClassifier } from '../engine/seams/classifier.js';
import { loadPolicySync } from '../policies/loader.js';
import { printTable, summarize, timeAsync, writeResult } from './stats.js';

export async function runRoutingBench(outDir: string): Promise<unknown> {
  const root = packageRoot();
  const dataDir = join(root, '..', 'shared', 'data', 'routing');
  if (!existsSync(join(dataDir, 'mmlu_train.csv'))) {
    console.log(`routing bench skipped: ${dataDir}/mmlu_train.csv not found`);
    return undefined;
  }
  const loaded = loadPolicySync(join(root, 'policies', 'examples', 'mmlu-learned.yaml'));
  const policy = compilePolicy(loaded, new GenaiPricesCatalog());
  const sep = separatingRule(policy);
  const train = readLabeledCsv(join(dataDir, 'mmlu_train.csv'), [sep.weak, sep.strong]);
  const evalData = readLabeledCsv(join(dataDir, 'mmlu_eval.csv'), [sep.weak, sep.strong]);
  const embedder = await createEmbedder();
  const tmp = mkdtempSync(join(tmpdir(), 'tollgate-routing-bench-'));
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, unknown> = {};
  const r4 = (x: number) => Math.round(x * 10000) / 10000;
  try {
    const classifiers: [string, RequestClassifier, Record<string, unknown>][] = [['rules', new RulesClassifier(), {}]];
    for (const method of ['knn', 'logreg'] as const) {
      const started = Date.now();
      const m = await trainClassifier({ data: train, outDir: join(tmp, method), embedder, method, seed: 1 });
      classifiers.push([method, await LearnedClassifier.load(join(tmp, method), { embedder }), { version: m.version, trainSeconds: (Date.now() - started) / 1000, validation: m.metrics.validation[method] }]);
    }
    const latencyTexts = evalData.rows.slice(0, 300).map((r) => r.prompt);
    for (const [name, c, info] of classifiers) {
      const items = await buildReplayItems(policy, evalData, c);
      const e = evaluateItems(policy, items, sep, name);
      const inputs = latencyTexts.map((text) => ({ request: { tenant: 'bench', messages: [{ role: 'user' as const, content: text }] }, text, promptTokens: 100 }));
      const lat = summarize(await timeAsync(inputs.length, 30, (i) => c.classify(inputs[i % inputs.length]!, policy.policy.models)));
      let tuneHeldOut: Record<string, number> | undefined;
      if (name !== 'rules') {
        const trainItems = await buildReplayItems(policy, train, c);
        const pts = floorGrid(trainItems, sep.weak).map((f) => replayAt(policy, sep, trainItems, f));
        const chosen = choosePoint(pts, { kind: 'strong-share', value: 0.3 }, replayPinned(policy, trainItems, sep.strong, sep.strong));
        tuneHeldOut = { floor: r4(chosen.threshold!), trainShare: r4(chosen.strongShare), evalShare: r4(replayAt(policy, sep, items, chosen.threshold!).strongShare) };
      }
      const m = e.metrics;
      results[name] = { ...info, apgr: r4(m.apgr), cpt50: r4(m.cpt50), cpt80: r4(m.cpt80), cpt95: r4(m.cpt95), strongShareAt95: r4(m.strongShareAt95), classifyLatencyUs: lat, tuneStrongShare30: tuneHeldOut, curve: e.curve.filter((_, i) => i % 10 === 0) };
      rows.push({ router: name, APGR: r4(m.apgr), 'CPT(50%)': r4(m.cpt50), 'CPT(80%)': r4(m.cpt80), 'CPT(95%)': r4(m.cpt95), 'strong@95%': r4(m.strongShareAt95), 'p50 µs': lat.p50, 'p99 µs': lat.p99, 'tune 0.3 → eval': tuneHeldOut ? tuneHeldOut.evalShare : '-' });
      if (name === 'rules') {
        results.random = { apgr: r4(e.random.apgr), cpt50: r4(e.random.cpt50), cpt80: r4(e.random.cpt80), cpt95: r4(e.random.cpt95), strongShareAt95: r4(e.random.strongShareAt95) };
        rows.push({ router: 'random', APGR: r4(e.random.apgr), 'CPT(50%)': r4(e.random.cpt50), 'CPT(80%)': r4(e.random.cpt80), 'CPT(95%)': r4(e.random.cpt95), 'strong@95%': r4(e.random.strongShareAt95), 'p50 µs': '-', 'p99 µs': '-', 'tune 0.3 → eval': '-' });
        results.reference = { qualityWeak: r4(m.qWeak), qualityStrong: r4(m.qStrong), costAllWeakMicros: e.allWeak.cost, costAllStrongMicros: e.allStrong.cost, n: e.n };
      }
      await (c as Partial<LearnedClassifier>).close?.();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  printTable(`routing on mmlu_eval.csv (${evalData.rows.length} prompts; trained on mmlu_train.csv, ${train.rows.length})`, rows);
  writeResult(outDir, 'routing', { data: { train: train.rows.length, eval: evalData.rows.length, weak: sep.weak, strong: sep.strong }, ...results });
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await runRoutingBench(join(packageRoot(), 'bench', 'results'));
