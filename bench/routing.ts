/**
 * Routing bench: trains the kNN and logistic-regression classifiers on the full mmlu_train.csv
 * (../shared; skipped with a message when absent), evaluates them, the rules classifier and random
 * routing on mmlu_eval.csv (APGR, CPT(50/80/95%), strong share at 95% of GPT-4 quality), checks how far
 * strong-share floors (0.2 / 0.3 / 0.5) tuned on train (out-of-fold predictions) land on eval, for the
 * probability scale and the traffic-rank scale (the latter also on a shuffled eval order), and measures
 * per-request classify latency.
 * Standalone: `npx jiti bench/routing.ts`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RANK_WINDOW, LearnedClassifier } from '../adapters/classifiers/index.js';
import { buildReplayItems, evaluateItems } from '../offline/learning/index.js';
import { trainClassifier } from '../offline/learning/index.js';
import { seededShuffle } from '../offline/learning/index.js';
import { RulesClassifier } from '../index.js';
import { GenaiPricesCatalog } from '../index.js';
import { packageRoot } from '../index.js';
import { createEmbedder } from '../embeddings/index.js';
import { compilePolicy } from '../index.js';
import { countTokens } from '../index.js';
import { choosePoint } from '../offline/learning/index.js';
import type { RoutingMetrics } from '../offline/learning/index.js';
import { readLabeledCsv } from '../offline/learning/index.js';
import { floorGrid, type ReplayItem, replayAt, replayPinned, separatingRule } from '../offline/learning/index.js';
import type { RequestClassifier } from '../index.js';
import { loadPolicySync } from '../index.js';
import { ROUTELLM_MMLU } from './routellm-published.js';
import { printTable, summarize, timeAsync, writeResult } from './stats.js';
import { runNModelBench } from './routing-nmodel.js';

const TARGETS = [0.2, 0.3, 0.5];

const r4 = (x: number) => Math.round(x * 10000) / 10000;

/** RouteLLM's headline metrics, rounded. */
const headline = (m: RoutingMetrics) => ({ apgr: r4(m.apgr), cpt50: r4(m.cpt50), cpt80: r4(m.cpt80), cpt95: r4(m.cpt95), strongShareAt95: r4(m.strongShareAt95) });

/** One row of the printed table ('-' where a router has no latency or tuning figures). */
function tableRow(router: string, h: ReturnType<typeof headline>, lat?: { p50: number; p99: number; p50Long: number }, tune?: { evalShare: number }[]): Record<string, string | number> {
  return {
    router,
    APGR: h.apgr,
    'CPT(50%)': h.cpt50,
    'CPT(80%)': h.cpt80,
    'CPT(95%)': h.cpt95,
    'strong@95%': h.strongShareAt95,
    'p50 µs': lat?.p50 ?? '-',
    'p99 µs': lat?.p99 ?? '-',
    'p50 µs 512 tok': lat?.p50Long ?? '-',
    'tune .2/.3/.5 → eval': tune ? tune.map((x) => x.evalShare.toFixed(3)).join(' / ') : '-',
  };
}

/** The first `n` o200k tokens of `text`. */
function decodeFirst(text: string, n: number): string {
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (countTokens(text.slice(0, mid)) <= n) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo);
}

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
  // The eval file is sorted by subject; the traffic-rank scale is also measured on a seeded shuffle of it.
  const shuffled = { ...evalData, rows: seededShuffle(evalData.rows, 7) };
  const embedder = await createEmbedder();
  const tmp = mkdtempSync(join(tmpdir(), 'tollgate-routing-bench-'));
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, unknown> = {};
  const allStrongOf = (items: ReplayItem[]) => replayPinned(policy, items, sep.strong, sep.strong);
  /** Floor tuned on the training rows (out-of-fold predictions) for each target, and the share it gives on held-out eval. */
  const tuneHeldOut = async (load: () => Promise<RequestClassifier>, evalItems: ReplayItem[]) => {
    const c = await load();
    const trainItems = await buildReplayItems(policy, train, c);
    await (c as Partial<LearnedClassifier>).close?.();
    return TARGETS.map((target) => {
      const pts = floorGrid(trainItems, sep.weak, 2000).map((f) => replayAt(policy, sep, trainItems, f));
      const chosen = choosePoint(pts, { kind: 'strong-share', value: target }, allStrongOf(trainItems));
      const evalShare = replayAt(policy, sep, evalItems, chosen.threshold!).strongShare;
      return { target, floor: r4(chosen.threshold!), trainShare: r4(chosen.strongShare), evalShare: r4(evalShare), errorPts: r4((evalShare - target) * 100) };
    });
  };
  try {
    const routers: [string, () => Promise<RequestClassifier>, Record<string, unknown>][] = [['rules', async () => new RulesClassifier(), {}]];
    for (const method of ['knn', 'logreg'] as const) {
      const started = Date.now();
      const dir = join(tmp, method);
      const m = await trainClassifier({ data: train, outDir: dir, embedder, method, seed: 1 });
      const info = { version: m.version, trainSeconds: (Date.now() - started) / 1000, validation: m.metrics.validation[method] };
      routers.push([method, () => LearnedClassifier.load(dir, { embedder }), info]);
      if (method === 'knn') routers.push(['knn-rank', () => LearnedClassifier.load(dir, { embedder, scale: 'traffic-rank' }), { ...info, scale: 'traffic-rank', rankWindow: DEFAULT_RANK_WINDOW }]);
    }
    const latencyTexts = evalData.rows.slice(0, 300).map((r) => r.prompt);
    // Long prompts: consecutive eval prompts joined until ~512 tokens (the upper bound).
    const longTexts: string[] = [];
    for (let i = 0; longTexts.length < 100 && i < evalData.rows.length; ) {
      let text = '';
      while (i < evalData.rows.length && countTokens(text) < 500) text += `${evalData.rows[i++]!.prompt}\n`;
      longTexts.push(countTokens(text) > 512 ? decodeFirst(text, 512) : text);
    }
    for (const [name, load, info] of routers) {
      const c = await load();
      const items = await buildReplayItems(policy, evalData, c);
      const e = evaluateItems(policy, items, sep, name);
      const inputs = latencyTexts.map((text) => ({ request: { tenant: 'bench', messages: [{ role: 'user' as const, content: text }] }, text, promptTokens: 100 }));
      const lat = summarize(await timeAsync(inputs.length, 30, (i) => c.classify(inputs[i % inputs.length]!, policy.policy.models)));
      const longInputs = longTexts.map((text) => ({ request: { tenant: 'bench', messages: [{ role: 'user' as const, content: text }] }, text, promptTokens: countTokens(text) }));
      const latLong = summarize(await timeAsync(longInputs.length, 10, (i) => c.classify(longInputs[i % longInputs.length]!, policy.policy.models)));
      await (c as Partial<LearnedClassifier>).close?.();
      const tune = name === 'rules' ? undefined : await tuneHeldOut(load, items);
      let shuffledEval: (ReturnType<typeof headline> & { tune: Awaited<ReturnType<typeof tuneHeldOut>> }) | undefined;
      if (name === 'knn-rank') {
        const cs = await load();
        const sItems = await buildReplayItems(policy, shuffled, cs);
        await (cs as Partial<LearnedClassifier>).close?.();
        const sm = evaluateItems(policy, sItems, sep, name).metrics;
        shuffledEval = { ...headline(sm), tune: await tuneHeldOut(load, sItems) };
      }
      const m = e.metrics;
      results[name] = { ...info, ...headline(m), classifyLatencyUs: lat, classifyLatency512TokensUs: latLong, tuneStrongShare: tune, shuffledEval, curve: e.curve.filter((_, i) => i % 10 === 0) };
      rows.push(tableRow(name, headline(m), { p50: lat.p50, p99: lat.p99, p50Long: latLong.p50 }, tune));
      if (shuffledEval) rows.push(tableRow(`${name} (shuffled eval)`, shuffledEval, undefined, shuffledEval.tune));
      if (name === 'rules') {
        results.random = headline(e.random);
        rows.push(tableRow('random', headline(e.random)));
        results.reference = { qualityWeak: r4(m.qWeak), qualityStrong: r4(m.qStrong), costAllWeakMicros: e.allWeak.cost, costAllStrongMicros: e.allStrong.cost, n: e.n };
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  printTable(`routing on mmlu_eval.csv (${evalData.rows.length} prompts; trained and tuned on mmlu_train.csv, ${train.rows.length})`, rows);
  results.routeLLM = ROUTELLM_MMLU;
  results.nModel = await runNModelBench();
  writeResult(outDir, 'routing', { data: { train: train.rows.length, eval: evalData.rows.length, weak: sep.weak, strong: sep.strong }, ...results });
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await runRoutingBench(join(packageRoot(), 'bench', 'results'));
