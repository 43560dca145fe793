/**
 * N-model routing bench (part of `npm run bench -- routing`): RouterBench's three shared training splits
 * (../shared/data/routing/routerbench; 11 models, 0/1 scores, real per-prompt USD costs) pooled and cut
 * by a seeded 30% hold-out (seed 30). The learned router is trained on the other 70% only (`--method
 * both`, default grids) and evaluated on the 30% under `policies/examples/routerbench-learned.yaml`
 * (utility scale), against the rules classifier, each single model, random, the zero router and the
 * oracle, with 95% bootstrap intervals; also per-request classify latency with 11 models at 512 tokens.
 * Then the cross-fitted evaluation over all pooled rows ({@link CROSS_FIT}: 5 seeded folds, each
 * predicted by a router trained on the other four only; `nModel.crossFit`; skipped with
 * TOLLGATE_BENCH_CROSS_FIT=0), which states whether the raw cost-at-95% intervals separate.
 * Standalone: `npx jiti bench/routing-nmodel.ts` (`--cross-fit-only`: just the cross-fit, merged into
 * bench/results/routing.json).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LearnedClassifier } from '../adapters/classifiers/index.js';
import { compilePolicy, countTokens, GenaiPricesCatalog, loadPolicySync, packageRoot, RulesClassifier } from '../index.js';
import { createEmbedder } from '../embeddings/index.js';
import { crossFitClassifier, evaluateFrontier, readLabeledFiles, seededShuffle, trainClassifier, type CurveSummary, type RouterSummary } from '../offline/learning/index.js';
import { summarize, timeAsync } from './stats.js';

export const ROUTERBENCH_FILES = ['arc_challenge_train.csv', 'mbpp_train.csv', 'winograde_train.csv'];
export const HOLDOUT = { fraction: 0.3, seed: 30 };
/** Cross-fitted evaluation over all pooled rows: outer folds and their seed. */
export const CROSS_FIT = { folds: 5, seed: 30 };

const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10000) / 10000);
const r1 = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
const curve = (c: CurveSummary) => ({ costAt95: r1(c.costAt95), costAt95Ci: [r1(c.ci.costAt95.lo), r1(c.ci.costAt95.hi)], aiq: r4(c.aiq), aiqCi: [r4(c.ci.aiq.lo), r4(c.ci.aiq.hi)], qualityAtBudget: c.qualityAt.map(r4) });
const router = (r: RouterSummary) => ({
  classifier: r.classifier,
  ...curve(r),
  gapRecovered: r4(r.gapRecovered),
  gapRecoveredCi: [r4(r.ciPaired.gapRecovered.lo), r4(r.ciPaired.gapRecovered.hi)],
  costAt95VsZero: r4(r.costAt95VsZero),
  costAt95VsZeroCi: [r4(r.ciPaired.costAt95VsZero.lo), r4(r.ciPaired.costAt95VsZero.hi)],
  ...(r.vs ? { vs: Object.fromEntries(Object.entries(r.vs).map(([k, v]) => [k, { costAt95Ratio: r4(v.costAt95Ratio), costAt95RatioCi: [r4(v.ci.costAt95Ratio.lo), r4(v.ci.costAt95Ratio.hi)], aiqDiff: r4(v.aiqDiff), aiqDiffCi: [r4(v.ci.aiqDiff.lo), r4(v.ci.aiqDiff.hi)] }])) } : {}),
});

export async function runNModelBench(): Promise<Record<string, unknown> | undefined> {
  const root = packageRoot();
  const dir = join(root, '..', 'shared', 'data', 'routing', 'routerbench');
  if (!ROUTERBENCH_FILES.every((f) => existsSync(join(dir, f)))) {
    console.log(`N-model routing bench skipped: ${dir} not found`);
    return undefined;
  }
  const all = readLabeledFiles(ROUTERBENCH_FILES.map((f) => join(dir, f)));
  const order = seededShuffle(all.rows.map((_, i) => i), HOLDOUT.seed);
  const cut = Math.round(all.rows.length * HOLDOUT.fraction);
  const pick = (ix: number[]) => ix.sort((a, b) => a - b).map((i) => all.rows[i]!);
  const test = { ...all, rows: pick(order.slice(0, cut)) };
  const train = { ...all, rows: pick(order.slice(cut)) };
  const loaded = loadPolicySync(join(root, 'policies', 'examples', 'routerbench-learned.yaml'));
  const policy = compilePolicy(loaded, new GenaiPricesCatalog());
  const embedder = await createEmbedder();
  const tmp = mkdtempSync(join(tmpdir(), 'tollgate-nmodel-bench-'));
  try {
    const started = Date.now();
    const m = await trainClassifier({ data: train, outDir: tmp, embedder, method: 'both', seed: 1 });
    const trainSeconds = (Date.now() - started) / 1000;
    const c = await LearnedClassifier.load(tmp, { embedder, policyModels: loaded.policy.models.map((x) => x.id), models: loaded.policy.models, scale: 'utility' });
    const e = await evaluateFrontier(policy, test, { router: c, rules: new RulesClassifier() }, { bootstrap: 200, seed: 1 });
    // Latency with 11 models: held-out prompts cut to 512 tokens.
    const texts = test.rows.filter((r) => countTokens(r.prompt) >= 300).slice(0, 100).map((r) => cutTokens(r.prompt, 512));
    const inputs = texts.map((text) => ({ request: { tenant: 'bench', messages: [{ role: 'user' as const, content: text }] }, text, promptTokens: countTokens(text) }));
    const lat = summarize(await timeAsync(inputs.length * 3, 20, (i) => c.classify(inputs[i % inputs.length]!, loaded.policy.models)));
    await c.close();
    const crossFit = process.env.TOLLGATE_BENCH_CROSS_FIT === '0' ? undefined : await crossFitted(policy, all, embedder, loaded.policy.classifier);
    const result = {
      data: { files: ROUTERBENCH_FILES, rows: all.rows.length, emptyCells: all.emptyCells, holdout: `seeded ${HOLDOUT.fraction * 100}% of the pooled rows (seed ${HOLDOUT.seed})`, train: train.rows.length, test: e.n, droppedTestRows: e.dropped, models: e.models.length, costSource: e.costSource },
      artefact: { method: m.method, textView: m.textView ?? { kind: 'full' }, version: m.version, trainSeconds, validation: m.metrics.validation[m.method] },
      target95: r4(e.target),
      bestModel: e.bestModel,
      router: router(e.routers.router!),
      rules: router(e.routers.rules!),
      zeroRouter: curve(e.zeroRouter),
      oracle: curve(e.oracle),
      random: { cost: r1(e.random.cost), quality: r4(e.random.quality) },
      models: Object.fromEntries(e.singles.map((s) => [s.model, { quality: r4(s.quality), cost: r1(s.cost), costAt95: r1(s.costAt95) }])),
      classifyLatency512TokensUs: lat,
      ...(crossFit ? { crossFit: crossFit.result } : {}),
    };
    const row = (name: string, x: ReturnType<typeof curve> & Partial<ReturnType<typeof router>>) =>
      `${name.padEnd(12)} cost@95% ${String(x.costAt95).padStart(7)} [${x.costAt95Ci.join(', ')}]  AIQ ${x.aiq} [${x.aiqCi.join(', ')}]${x.gapRecovered !== undefined ? `  gap recovered ${x.gapRecovered} [${x.gapRecoveredCi!.join(', ')}]  cost@95% ÷ zero ${x.costAt95VsZero} [${x.costAt95VsZeroCi!.join(', ')}]` : ''}`;
    console.log(`\nN-model routing: RouterBench, ${e.models.length} models, trained on ${train.rows.length} rows, evaluated on the held-out ${e.n} (${result.data.holdout}); target ${result.target95} (95% of ${e.bestModel})`);
    console.log(row('router', result.router));
    console.log(row('rules', result.rules));
    const vr = result.router.vs?.rules;
    if (vr) console.log(`router ÷ rules (paired): cost@95% ${vr.costAt95Ratio} [${vr.costAt95RatioCi.join(', ')}]  AIQ − rules ${vr.aiqDiff} [${vr.aiqDiffCi.join(', ')}]`);
    console.log(row('zero router', result.zeroRouter));
    console.log(row('oracle', result.oracle));
    if (crossFit) crossFit.print();
    console.log(`classify with 11 models, 512-token prompts: p50 ${lat.p50} µs, p99 ${lat.p99} µs`);
    return result;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Cross-fitted evaluation: all pooled rows cut into {@link CROSS_FIT}.folds folds; each fold's rows are
 * predicted by a router trained (`--method both`, selection by out-of-fold quality inside the training
 * folds) on the other folds only, and the frontier is evaluated on every row's out-of-fold prediction.
 */
async function crossFitted(policy: ReturnType<typeof compilePolicy>, all: ReturnType<typeof readLabeledFiles>, embedder: Awaited<ReturnType<typeof createEmbedder>>, classifier: { scale?: 'probability' | 'traffic-rank' | 'utility' } | undefined, verbose = false) {
  const started = Date.now();
  let last = '';
  const onProgress = (phase: string, done: number, total: number) => {
    const line = `${phase.replace(/ \d+\/\d+$/, '')}`;
    if (verbose && (line !== last || done === total)) console.error(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${phase} ${done}/${total}`);
    last = line;
  };
  const cf = await crossFitClassifier(policy, all, { embedder, folds: CROSS_FIT.folds, seed: CROSS_FIT.seed, scale: classifier?.scale, train: { method: 'both', seed: 1 }, onProgress });
  const seconds = (Date.now() - started) / 1000;
  const e = await evaluateFrontier(policy, all, { router: cf, rules: new RulesClassifier() }, { bootstrap: 200, seed: 1 });
  await cf.close();
  const r = router(e.routers.router!);
  const rules = router(e.routers.rules!);
  const zero = curve(e.zeroRouter);
  const below = (a: ReturnType<typeof curve>, b: ReturnType<typeof curve>) => a.costAt95Ci[1] !== null && b.costAt95Ci[0] !== null && a.costAt95Ci[1]! < b.costAt95Ci[0]!;
  const result = {
    evaluation: `cross-fitted: the ${all.rows.length} pooled rows cut into ${CROSS_FIT.folds} seeded folds (seed ${CROSS_FIT.seed}, ${cf.by}); each row predicted by a router trained on the other ${CROSS_FIT.folds - 1} folds only (method and hyper-parameters chosen by out-of-fold quality inside those folds); every row is evaluated on the split it was not trained on: its own held-out fold`,
    rows: e.n,
    droppedRows: e.dropped,
    folds: cf.folds.map((f) => ({ ...f, innerScore: r4(f.innerScore), trainSeconds: r1(f.trainSeconds) })),
    seconds: r1(seconds),
    target95: r4(e.target),
    bestModel: e.bestModel,
    router: r,
    rules,
    zeroRouter: zero,
    oracle: curve(e.oracle),
    separates: { rawCostAt95VsRules: below(r, rules), rawCostAt95VsZeroRouter: below(r, zero) },
  };
  const print = () => {
    console.log(`\nCross-fitted (${CROSS_FIT.folds} folds over all ${e.n} rows, every row predicted by a router that never saw it); target ${result.target95}`);
    for (const [name, x] of [['router', r], ['rules', rules], ['zero router', zero]] as const) console.log(`${name.padEnd(12)} cost@95% ${String(x.costAt95).padStart(7)} [${x.costAt95Ci.join(', ')}]  AIQ ${x.aiq} [${x.aiqCi.join(', ')}]`);
    const vr = r.vs?.rules;
    if (vr) console.log(`router ÷ rules (paired): cost@95% ${vr.costAt95Ratio} [${vr.costAt95RatioCi.join(', ')}]; ÷ zero ${r.costAt95VsZero} [${r.costAt95VsZeroCi.join(', ')}]`);
    console.log(`raw intervals separate: vs rules ${result.separates.rawCostAt95VsRules}, vs zero router ${result.separates.rawCostAt95VsZeroRouter}; folds: ${cf.folds.map((f) => `${f.method}/${f.view}`).join(', ')}; ${result.seconds} s`);
  };
  return { result, print };
}

/** The first `n` o200k tokens of `text`. */
function cutTokens(text: string, n: number): string {
  if (countTokens(text) <= n) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (countTokens(text.slice(0, mid)) <= n) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo);
}

/**
 * The cross-fitted evaluation alone (`npx jiti bench/routing-nmodel.ts --cross-fit-only`): written into
 * bench/results/routing.json as `nModel.crossFit`, the rest of the file kept.
 */
export async function runCrossFitBench(resultsFile = join(packageRoot(), 'bench', 'results', 'routing.json')): Promise<Record<string, unknown> | undefined> {
  const root = packageRoot();
  const dir = join(root, '..', 'shared', 'data', 'routing', 'routerbench');
  if (!ROUTERBENCH_FILES.every((f) => existsSync(join(dir, f)))) return undefined;
  const all = readLabeledFiles(ROUTERBENCH_FILES.map((f) => join(dir, f)));
  const loaded = loadPolicySync(join(root, 'policies', 'examples', 'routerbench-learned.yaml'));
  const cf = await crossFitted(compilePolicy(loaded, new GenaiPricesCatalog()), all, await createEmbedder(), loaded.policy.classifier, true);
  cf.print();
  const saved = JSON.parse(readFileSync(resultsFile, 'utf8')) as { nModel?: Record<string, unknown> };
  saved.nModel = { ...saved.nModel, crossFit: cf.result };
  writeFileSync(resultsFile, `${JSON.stringify(saved, null, 2)}\n`);
  return cf.result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--cross-fit-only')) await runCrossFitBench();
  else console.log(JSON.stringify(await runNModelBench(), null, 2));
}
