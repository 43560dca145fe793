/**
 * N-model routing bench (part of `npm run bench -- routing`): RouterBench's three shared training splits
 * (../shared/data/routing/routerbench; 11 models, 0/1 scores, real per-prompt USD costs) pooled and cut
 * by a seeded 30% hold-out (seed 30). The learned router is trained on the other 70% only (`--method
 * both`, default grids) and evaluated on the 30% under `policies/examples/routerbench-learned.yaml`
 * (utility scale), against the rules classifier, each single model, random, the zero router and the
 * oracle, with 95% bootstrap intervals; also per-request classify latency with 11 models at 512 tokens.
 * Standalone: `npx jiti bench/routing-nmodel.ts`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LearnedClassifier } from '../adapters/classifiers/index.js';
import { compilePolicy, countTokens, GenaiPricesCatalog, loadPolicySync, packageRoot, RulesClassifier } from '../index.js';
import { createEmbedder } from '../embeddings/index.js';
import { evaluateFrontier, readLabeledFiles, seededShuffle, trainClassifier, type CurveSummary, type RouterSummary } from '../offline/learning/index.js';
import { summarize, timeAsync } from './stats.js';

export const ROUTERBENCH_FILES = ['arc_challenge_train.csv', 'mbpp_train.csv', 'winograde_train.csv'];
export const HOLDOUT = { fraction: 0.3, seed: 30 };

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
    console.log(`classify with 11 models, 512-token prompts: p50 ${lat.p50} µs, p99 ${lat.p99} µs`);
    return result;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
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

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await runNModelBench(), null, 2));
