import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { bundled } from '../bundled.js';
import { compilePolicy, GenaiPricesCatalog, loadPolicy, loadPolicyClassifier, type RequestClassifier, RulesClassifier } from '../../index.js';
import { BUDGETS, CrossFitClassifier, crossFitClassifier, curveSvg, type CurveSummary, evaluateFrontier, type FrontierEvaluation, type Interval, parseCostColumns, parseScale, readLabeledFiles, type RouterSummary, separatingRule } from '../../offline/learning/index.js';
import { createEmbedder } from '../../embeddings/index.js';
import { CliUsageError, type CliIo } from '../io.js';
import { evalFromLog } from './eval-log.js';

const r4 = (x: number) => Math.round(x * 10000) / 10000;
const r1 = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
const iv = (i: Interval, f: (x: number | null) => number | null = r4 as (x: number | null) => number | null) => [f(i.lo), f(i.hi)];

const nan = (x: number) => (Number.isNaN(x) ? null : r4(x));

function curveJson(c: CurveSummary) {
  return {
    costAt95: r1(c.costAt95),
    costAt95Ci: iv(c.ci.costAt95, r1),
    aiq: r4(c.aiq),
    aiqCi: iv(c.ci.aiq),
    maxQuality: r4(c.maxQuality),
    qualityAtBudget: Object.fromEntries(BUDGETS.map((b, k) => [String(b), { quality: nan(c.qualityAt[k]!), ci: iv(c.ci.qualityAt[k]!) }])),
    hull: c.hull.map((p) => ({ cost: r1(p.cost), quality: r4(p.quality) })),
  };
}

function routerJson(r: RouterSummary) {
  return {
    classifier: r.classifier,
    outOfFold: r.outOfFold,
    ...curveJson(r),
    gapRecovered: r4(r.gapRecovered),
    gapRecoveredCi: iv(r.ciPaired.gapRecovered),
    aiqOverZero: r4(r.aiqOverZero),
    aiqOverZeroCi: iv(r.ciPaired.aiqOverZero),
    costAt95VsZero: r.costAt95VsZero === null ? null : r4(r.costAt95VsZero),
    costAt95VsZeroCi: iv(r.ciPaired.costAt95VsZero),
    ...(r.vs ? { vs: Object.fromEntries(Object.entries(r.vs).map(([k, v]) => [k, { costAt95Ratio: v.costAt95Ratio === null ? null : r4(v.costAt95Ratio), costAt95RatioCi: iv(v.ci.costAt95Ratio), aiqDiff: r4(v.aiqDiff), aiqDiffCi: iv(v.ci.aiqDiff) }])) } : {}),
    ...(r.pair ? { apgr: r4(r.pair.apgr), apgrCi: iv(r.pair.ci.apgr), pair: { weak: r.pair.weak, strong: r.pair.strong, qualityWeak: r4(r.pair.qualityWeak), qualityStrong: r4(r.pair.qualityStrong), apgr: r4(r.pair.apgr), apgrCi: iv(r.pair.ci.apgr), cpt50: r4(r.pair.cpt50), cpt80: r4(r.pair.cpt80), strongShareAt95: r4(r.pair.strongShareAt95), random: { apgr: 0.5 } } } : {}),
    points: r.points.map((p) => ({ floor: r4(p.floor), cost: r1(p.cost), quality: r4(p.quality), shares: Object.fromEntries(Object.entries(p.shares).map(([k, v]) => [k, r4(v)])) })),
  };
}

/** The `--json` object: the frontier of the router, each single model, random, the zero router and the oracle, with 95% bootstrap intervals. */
export function evalSummary(e: FrontierEvaluation, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const [first, ...rest] = Object.entries(e.routers);
  return {
    ...extra,
    rule: e.rule,
    n: e.n,
    droppedRows: e.dropped,
    costSource: e.costSource,
    bestModel: e.bestModel,
    target95: r4(e.target),
    bootstrap: e.bootstrap,
    headline: headline(first![1]),
    router: routerJson(first![1]),
    ...(rest.length ? { others: Object.fromEntries(rest.map(([k, v]) => [k, routerJson(v)])) } : {}),
    zeroRouter: curveJson(e.zeroRouter),
    oracle: curveJson(e.oracle),
    random: { cost: r1(e.random.cost), quality: r4(e.random.quality) },
    models: Object.fromEntries(e.singles.map((s) => [s.model, { quality: r4(s.quality), qualityCi: iv(s.ci.quality), cost: r1(s.cost), costCi: iv(s.ci.cost, r1), costAt95: r1(s.costAt95) }])),
  };
}

/**
 * The headline comparison: the router's cost at 95% of the best model's quality divided by the zero
 * router's and by each compared router's, paired within each bootstrap resample (the raw costAt95
 * intervals mostly reflect which prompts were drawn and overlap where the paired ratio does not).
 * `separates`: the interval lies wholly below 1.
 */
function headline(r: RouterSummary) {
  const entry = (ratio: number | null, i: Interval) => ({ ratio: ratio === null ? null : r4(ratio), ci: iv(i), separates: i.hi !== null && i.hi < 1 });
  return {
    metric: 'costAt95 ratio (router ÷ other), paired within each bootstrap resample; below 1 = the router is cheaper at 95% of the best model',
    vsZeroRouter: entry(r.costAt95VsZero, r.ciPaired.costAt95VsZero),
    ...Object.fromEntries(Object.entries(r.vs ?? {}).map(([k, v]) => [`vs${k[0]!.toUpperCase()}${k.slice(1)}`, entry(v.costAt95Ratio, v.ci.costAt95Ratio)])),
  };
}

const fmtCost = (x: number | null) => (x === null ? 'never' : x.toFixed(1));
const fmtIv = (i: Interval, f: (x: number | null) => string) => `[${f(i.lo)}, ${f(i.hi)}]`;

export function registerEval(program: Command, io: CliIo): void {
  program
    .command('eval')
    .description("Evaluate a policy's router on labeled data with any number of models: the cost–quality frontier against each single model, random, the zero router and the oracle, with 95% bootstrap intervals; RouteLLM's APGR for a weak/strong pair.")
    .option('--data <file>', 'CSV or JSONL with a prompt column and one label column per model (True/False or a score)')
    .option('--from-log <file>', 'instead: score the live classifier and each --artefact on the held-out latest share of a decision log (see train --from-log)')
    .option('--prompts <file>', '--from-log: prompt lines kept in a separate JSONL file')
    .option('--artefact <dir>', '--from-log: a retrained artefact to compare with the live one; repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--holdout <share>', '--from-log: share of the latest labelled requests held out (as train --from-log used)', '0.2')
    .requiredOption('--policy <file>', 'policy whose classifier and router are evaluated')
    .option('--strong <model>', 'strong model of a pair to report RouteLLM metrics for (with --weak)')
    .option('--weak <model>', 'weak model of the pair')
    .option('--scale <min-max>', 'range of graded scores, e.g. 1-10 (rescaled to [0, 1])')
    .option('--cost-column <model=column>', 'per-prompt cost column (US dollars) of a model; repeatable (default: <model>|total_cost and similar names)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--no-costs', "ignore the data's cost columns: use the policy's predicted costs")
    .option('--compare <names>', 'comma-separated baselines evaluated alongside: rules', '')
    .option('--cross-fit <k>', "instead of the policy's artefact: K folds, each predicted by a router trained (as `tollgate train --method both`) on the other folds only; every row scored out of fold")
    .option('--bootstrap <n>', 'bootstrap resamples for the intervals (0: none)', '200')
    .option('--seed <n>', 'bootstrap seed', '1')
    .option('--json', 'print one JSON object')
    .option('--out <dir>', 'where to write eval.json and frontier.svg', 'tollgate-eval')
    .addHelpText('after', '\nExample:\n  $ tollgate eval --data labeled-eval.csv --policy ' + bundled('policies/examples/mmlu-learned.yaml') + ' --compare rules\n  $ tollgate eval --from-log decisions.jsonl --policy policy.yaml --artefact models/router-v2')
    .action(async (o: { data?: string; fromLog?: string; prompts?: string; artefact: string[]; holdout: string; policy: string; strong?: string; weak?: string; scale?: string; costColumn: string[]; costs: boolean; compare: string; crossFit?: string; bootstrap: string; seed: string; json?: boolean; out: string }) => {
      if (!!o.weak !== !!o.strong) throw new CliUsageError('give both --weak and --strong (or neither)');
      const bootstrap = Number(o.bootstrap);
      if (!Number.isInteger(bootstrap) || bootstrap < 0) throw new CliUsageError(`--bootstrap must be a non-negative integer (got "${o.bootstrap}")`);
      if (!!o.data === !!o.fromLog) throw new CliUsageError('give exactly one of --data (labelled files) and --from-log (a decision log)');
      if (o.fromLog) return evalFromLog({ fromLog: o.fromLog, prompts: o.prompts, policy: o.policy, artefact: o.artefact, holdout: o.holdout, bootstrap, seed: o.seed, json: o.json, out: o.out }, io);
      if (o.artefact.length) throw new CliUsageError('--artefact is for --from-log (with --data, the policy names its artefact)');
      const loaded = await loadPolicy(o.policy);
      const policy = compilePolicy(loaded, new GenaiPricesCatalog());
      const sep = separatingRule(policy, o.weak, o.strong);
      const rule = sep.index < 0 ? policy.defaultRule : policy.rules[sep.index]!;
      // A two-model rule is a pair by itself.
      const pair = o.weak && o.strong ? { weak: o.weak, strong: o.strong } : rule.candidates.length === 2 ? { weak: sep.weak, strong: sep.strong } : {};
      const data = readLabeledFiles(o.data!.split(',').map((s) => s.trim()).filter(Boolean), { scale: o.scale ? parseScale(o.scale) : undefined, costColumns: parseCostColumns(o.costColumn), costs: o.costs });
      const folds = o.crossFit === undefined ? undefined : Number(o.crossFit);
      if (folds !== undefined && (!Number.isInteger(folds) || folds < 2)) throw new CliUsageError(`--cross-fit must be an integer ≥ 2 (got "${o.crossFit}")`);
      if (folds !== undefined && loaded.policy.classifier?.kind !== 'learned') throw new CliUsageError('--cross-fit retrains a learned router: the policy needs classifier: { kind: learned } (its scale is used)');
      const routerClassifier = folds === undefined
        ? await loadPolicyClassifier(loaded)
        : await crossFitClassifier(policy, data, { embedder: await createEmbedder(), folds, seed: Number(o.seed), scale: loaded.policy.classifier!.scale, train: { method: 'both', seed: 1 } });
      const classifiers: Record<string, RequestClassifier> = { router: routerClassifier };
      for (const name of o.compare.split(',').map((s) => s.trim()).filter(Boolean)) {
        if (name !== 'rules') throw new CliUsageError(`--compare knows only "rules" (got "${name}")`);
        classifiers.rules = new RulesClassifier();
      }
      const e = await evaluateFrontier(policy, data, classifiers, { ...pair, bootstrap, seed: Number(o.seed) });
      await (classifiers.router as { close?: () => Promise<void> }).close?.();
      const crossFit = routerClassifier instanceof CrossFitClassifier ? { crossFit: { folds, by: routerClassifier.by, perFold: routerClassifier.folds } } : {};
      const summary = evalSummary(e, { policy: loaded.policy.name, data: o.data, emptyCells: data.emptyCells, ...crossFit });
      const dir = resolve(o.out);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'eval.json'), `${JSON.stringify(summary, null, 2)}\n`);
      const router = e.routers.router!;
      const svg = curveSvg(
        `${loaded.policy.name}: ${router.classifier} on ${e.n} prompts`,
        [
          { name: 'router', points: router.hull, color: '#1f77b4' },
          ...(e.routers.rules ? [{ name: 'rules', points: e.routers.rules.hull, color: '#2ca02c' }] : []),
          { name: 'zero router (hull of single models)', points: e.zeroRouter.hull, color: '#999999', dashed: true },
          { name: 'oracle', points: e.oracle.hull, color: '#d62728', dashed: true },
        ],
        640,
        420,
        'cost',
      );
      writeFileSync(join(dir, 'frontier.svg'), svg);
      if (o.json) {
        io.out(`${JSON.stringify(summary)}\n`);
        return;
      }
      io.out(`${loaded.policy.name}: rule "${e.rule}", ${e.models.length} models, ${e.n} prompts${e.dropped ? ` (${e.dropped} rows without every label left out)` : ''}${data.emptyCells ? `, ${data.emptyCells} empty label cells` : ''}; costs from ${e.costSource === 'data' ? 'the data' : "the policy's prices"}\n`);
      io.out(`target: 95% of the best single model (${e.bestModel}, quality ${(e.target / 0.95).toFixed(3)}) = ${e.target.toFixed(3)}; intervals: 95% bootstrap (${e.bootstrap} resamples)\n\n`);
      const rows: string[][] = [['', 'quality', 'cost µ$/req', 'cost at 95% [95% CI]', 'AIQ [95% CI]']];
      const curveRow = (name: string, c: CurveSummary) => [name, c.maxQuality.toFixed(3) + ' (max)', '', `${fmtCost(c.costAt95)} ${fmtIv(c.ci.costAt95, fmtCost)}`, `${c.aiq.toFixed(3)} ${fmtIv(c.ci.aiq, (x) => (x === null ? '-' : x.toFixed(3)))}`];
      for (const [name, r] of Object.entries(e.routers)) rows.push(curveRow(`${name} (${r.classifier}${r.outOfFold ? ', out-of-fold' : ''})`, r));
      for (const [name, r] of Object.entries(e.routers)) if (r.outOfFold) io.out(folds === undefined ? `${name}: this is the classifier's own training data — its out-of-fold predictions are replayed (each row predicted by a model that never saw it)\n` : `${name}: cross-fitted — each of ${folds} folds predicted by a router trained on the other folds only (each row scored on the split it was not trained on: its own fold)\n`);
      rows.push(curveRow('zero router', e.zeroRouter));
      rows.push(curveRow('oracle', e.oracle));
      rows.push(['random (uniform)', e.random.quality.toFixed(3), e.random.cost.toFixed(1), '', '']);
      for (const s of e.singles) rows.push([s.model, `${s.quality.toFixed(3)} ${fmtIv(s.ci.quality, (x) => (x === null ? '-' : x.toFixed(3)))}`, s.cost.toFixed(1), fmtCost(s.costAt95), '']);
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      for (const r of rows) io.out(`${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}\n`);
      io.out('\nagainst the zero router, within each resample (0 / 1 = no better than mixing single models):\n');
      for (const [name, r] of Object.entries(e.routers)) {
        const f3 = (x: number | null) => (x === null ? 'never' : x.toFixed(3));
        io.out(`  ${name}: share of the zero-router → oracle AIQ gap recovered ${r.gapRecovered.toFixed(3)} ${fmtIv(r.ciPaired.gapRecovered, f3)}; cost at 95% ÷ zero router's ${r.costAt95VsZero === null ? 'never' : r.costAt95VsZero.toFixed(3)} ${fmtIv(r.ciPaired.costAt95VsZero, f3)}\n`);
        for (const [other, v] of Object.entries(r.vs ?? {})) io.out(`  ${name} against ${other} (paired): cost at 95% ÷ ${other} ${f3(v.costAt95Ratio)} ${fmtIv(v.ci.costAt95Ratio, f3)}; AIQ − ${other} ${v.aiqDiff.toFixed(3)} ${fmtIv(v.ci.aiqDiff, f3)}\n`);
      }
      for (const [name, r] of Object.entries(e.routers)) {
        if (!r.pair) continue;
        const p = r.pair;
        io.out(`\n${name}, pair ${p.weak} → ${p.strong}: APGR ${p.apgr.toFixed(3)} ${fmtIv(p.ci.apgr, (x) => (x === null ? '-' : x.toFixed(3)))} (random 0.500)  CPT(50%) ${(p.cpt50 * 100).toFixed(1)}%  CPT(80%) ${(p.cpt80 * 100).toFixed(1)}%  strong share at 95% of strong quality ${(p.strongShareAt95 * 100).toFixed(1)}%\n`);
      }
      io.out(`\nwrote ${join(dir, 'eval.json')} and ${join(dir, 'frontier.svg')}\n`);
    });
}
