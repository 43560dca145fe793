/**
 * N-model routing evaluation (`tollgate eval`): every prompt of a labeled file is classified by the
 * policy's classifier and replayed through the real router (`decide()`) at every useful quality floor of
 * the rule that routes between the labeled models. Each operating point is scored from the labels only,
 * with the data's real per-prompt costs when it has them (else the policy's predicted cost). Reported
 * against each single model, random choice, the zero router and the oracle ({@link ./frontier.ts}), with
 * 95% bootstrap intervals (prompts resampled) for every headline figure, and RouteLLM's pair metrics
 * when a weak/strong pair is named.
 *
 * Refuses ({@link RoutingEvaluationError}, `routing_eval_unscorable`) what labels cannot score: a rule
 * candidate without a label column, or no prompt with every candidate labeled.
 */
import type { CompiledPolicy, CompiledRule } from '../../index.js';
import { decide } from '../../index.js';
import type { RequestClassifier } from '../../index.js';
import { RoutingEvaluationError } from './errors.js';
import type { LabeledData } from './labeled-csv.js';
import { buildReplayItems, replaysOutOfFold } from './evaluate.js';
import { curveFigures, type FrontierPoint, oracleChoices, pointOf, qualityAtCost } from './frontier.js';
import { apgr, closeCurve, cpt, firstShareReaching, type CurvePoint } from './metrics.js';
import type { ReplayItem } from './replay.js';
import { separatingRule } from './replay.js';
import { Prng } from '../trace/index.js';

export interface Interval {
  lo: number | null;
  hi: number | null;
}

export interface CurveSummary {
  costAt95: number | null;
  aiq: number;
  maxQuality: number;
  /** Quality of the hull at mean costs of 10%, 25% and 50% of the best single model's ({@link BUDGETS}). */
  qualityAt: number[];
  hull: FrontierPoint[];
  ci: { costAt95: Interval; aiq: Interval; qualityAt: Interval[] };
}

/** Budgets at which curves are compared, as fractions of the best single model's mean cost. */
export const BUDGETS = [0.1, 0.25, 0.5];

export interface PairSummary {
  weak: string;
  strong: string;
  qualityWeak: number;
  qualityStrong: number;
  apgr: number;
  cpt50: number;
  cpt80: number;
  strongShareAt95: number;
  ci: { apgr: Interval };
}

export interface RouterSummary extends CurveSummary {
  classifier: string;
  /** True when the data is the classifier's own training data and its out-of-fold predictions were replayed. */
  outOfFold: boolean;
  /**
   * Share of the zero router → oracle AIQ gap the router recovers, (AIQ − AIQ_zero) / (AIQ_oracle −
   * AIQ_zero), computed within each resample (0: no better than mixing single models; 1: the oracle).
   * Paired: the difficulty a resample shares between curves cancels, so its interval is narrow.
   */
  gapRecovered: number;
  /** Router AIQ − zero-router AIQ, and router cost at 95% ÷ zero-router cost at 95%, within each resample. */
  aiqOverZero: number;
  costAt95VsZero: number | null;
  ciPaired: { gapRecovered: Interval; aiqOverZero: Interval; costAt95VsZero: Interval };
  /**
   * The first router against each other one evaluated alongside (e.g. `rules`), paired within each
   * resample like the figures above: `costAt95Ratio` = this router's cost at 95% ÷ the other's (below 1:
   * cheaper at the same quality; 0 where only this router reaches it, null where it never does), `aiqDiff` =
   * AIQ − the other's AIQ.
   * Only on the first router (absent on the others).
   */
  vs?: Record<string, PairedComparison>;
  points: (FrontierPoint & { floor: number; shares: Record<string, number> })[];
  pair?: PairSummary;
}

/** One router against another on the same resamples (see {@link RouterSummary.vs}). */
export interface PairedComparison {
  costAt95Ratio: number | null;
  aiqDiff: number;
  ci: { costAt95Ratio: Interval; aiqDiff: Interval };
}

export interface FrontierEvaluation {
  rule: string;
  models: string[];
  n: number;
  /** Rows left out because a candidate's label was empty. */
  dropped: number;
  costSource: 'data' | 'policy';
  bestModel: string;
  /** 0.95 × the best single model's quality. */
  target: number;
  bootstrap: number;
  singles: { model: string; quality: number; cost: number; costAt95: number | null; ci: { quality: Interval; cost: Interval } }[];
  random: FrontierPoint;
  zeroRouter: CurveSummary;
  oracle: CurveSummary;
  routers: Record<string, RouterSummary>;
}

export interface FrontierOptions {
  weak?: string;
  strong?: string;
  /** Bootstrap resamples (default 200; 0 = no intervals). */
  bootstrap?: number;
  seed?: number;
  /** Most floors replayed per router (default 200). */
  maxFloors?: number;
}

/** The rule evaluated: with a named pair, the first rule holding both; else the first with ≥ 2 candidates. */
function evaluatedRule(policy: CompiledPolicy, weak?: string, strong?: string): CompiledRule {
  const sep = separatingRule(policy, weak, strong);
  return sep.index < 0 ? policy.defaultRule : policy.rules[sep.index]!;
}

/** The policy with `rule`'s candidates and floor replaced. */
function patched(policy: CompiledPolicy, rule: CompiledRule, floor: number, candidates = rule.candidates): CompiledPolicy {
  const r = { ...rule, qualityFloor: floor, candidates };
  if (rule === policy.defaultRule) return { ...policy, defaultRule: r };
  return { ...policy, rules: policy.rules.map((x) => (x === rule ? r : x)) };
}

/** Floors worth replaying: 0, the distinct predicted qualities (subsampled), and one above 1. */
function floors(items: readonly ReplayItem[], ids: readonly string[], max: number): number[] {
  const values = [...new Set(items.flatMap((it) => ids.map((id) => it.classification.quality[id]).filter((q): q is number => q !== undefined)))].sort((a, b) => a - b);
  const step = Math.max(1, values.length / max);
  const picked: number[] = [];
  for (let i = 0; i < values.length; i += step) picked.push(values[Math.floor(i)]!);
  if (values.length) picked.push(values[values.length - 1]!);
  return [...new Set([0, ...picked.map((v) => Math.min(1.000001, v + 1e-9)), 1.000001])].sort((a, b) => a - b);
}

/** Chosen model index per item at each floor. */
function routerChoices(policy: CompiledPolicy, rule: CompiledRule, items: readonly ReplayItem[], ids: readonly string[], grid: readonly number[], candidates = rule.candidates): Int32Array[] {
  const index = new Map(ids.map((id, j) => [id, j]));
  return grid.map((f) => {
    const p = patched(policy, rule, f, candidates);
    const out = new Int32Array(items.length);
    items.forEach((it, i) => {
      const d = decide(p, it.facts, it.classification);
      const j = index.get(d.chosen.id);
      if (j === undefined) throw new RoutingEvaluationError(`the router chose "${d.chosen.id}" (rule "${d.rule}"), which has no labels: only ${ids.join(', ')} can be scored`);
      out[i] = j;
    });
    return out;
  });
}

/** A seeded uniform [0, 1) source (the trace tools' mulberry32). */
function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}

/** 2.5th and 97.5th percentiles; null stands for "never reached" (+∞) or no samples. */
export function interval(samples: readonly (number | null)[]): Interval {
  if (!samples.length) return { lo: null, hi: null };
  const xs = samples.map((x) => (x === null ? Number.POSITIVE_INFINITY : x)).sort((a, b) => a - b);
  const at = (q: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.round(q * (xs.length - 1))))]!;
  const f = (x: number) => (Number.isFinite(x) ? x : null);
  return { lo: f(at(0.025)), hi: f(at(0.975)) };
}

interface PairCurve {
  weak: number;
  strong: number;
  choices: Int32Array[];
}

/** RouteLLM metrics of a pair router's choices over `rows`. */
function pairMetrics(pc: PairCurve, quality: readonly (readonly number[])[], rows: ArrayLike<number>) {
  const n = rows.length;
  const pts: CurvePoint[] = pc.choices.map((ch) => {
    let q = 0;
    let s = 0;
    for (let k = 0; k < n; k++) {
      const i = rows[k]!;
      q += quality[i]![ch[i]!]!;
      if (ch[i] === pc.strong) s++;
    }
    return { strongShare: s / n, quality: q / n, cost: 0 };
  });
  let qw = 0;
  let qs = 0;
  for (let k = 0; k < n; k++) (qw += quality[rows[k]!]![pc.weak]!), (qs += quality[rows[k]!]![pc.strong]!);
  qw /= n;
  qs /= n;
  const curve = closeCurve(pts, { strongShare: 0, quality: qw, cost: 0 }, { strongShare: 1, quality: qs, cost: 0 });
  return { qualityWeak: qw, qualityStrong: qs, apgr: apgr(curve, qw, qs), cpt50: cpt(curve, 0.5, qw, qs), cpt80: cpt(curve, 0.8, qw, qs), strongShareAt95: firstShareReaching(curve, (p) => p.quality, 0.95 * qs) };
}

/** Evaluates one or more classifiers (named) on labeled data under `policy`. */
export async function evaluateFrontier(policy: CompiledPolicy, data: LabeledData, classifiers: Record<string, RequestClassifier>, o: FrontierOptions = {}): Promise<FrontierEvaluation> {
  const rule = evaluatedRule(policy, o.weak, o.strong);
  const ids = rule.candidates.map((c) => c.id);
  const missing = ids.filter((id) => !data.models.includes(id));
  if (missing.length) throw new RoutingEvaluationError(`rule "${rule.name}" can route to ${missing.join(', ')}, which ${missing.length > 1 ? 'have' : 'has'} no label column in ${data.file} (labeled: ${data.models.join(', ')}); an answer of an unlabeled model cannot be scored`, { missing });
  const complete = data.rows.map((r, i) => (ids.every((id) => r.scores[id] !== undefined) ? i : -1)).filter((i) => i >= 0);
  const scored = { ...data, models: ids, rows: complete.map((i) => data.rows[i]!) };
  const dropped = data.rows.length - complete.length;
  // Classified on the file as given (so a classifier trained on exactly this file replays its out-of-fold predictions), then narrowed to the scorable rows.
  const asGiven = { ...data, models: data.models.filter((m) => policy.byId.has(m)) };
  if (!scored.rows.length) throw new RoutingEvaluationError(`no row of ${data.file} has a label for every candidate of rule "${rule.name}" (${ids.join(', ')})`);
  const n = scored.rows.length;
  const quality = scored.rows.map((r) => ids.map((id) => r.scores[id]!));
  const costSource: 'data' | 'policy' = scored.rows.every((r) => ids.every((id) => r.costs?.[id] !== undefined)) ? 'data' : 'policy';
  const maxFloors = o.maxFloors ?? 200;
  const routers: Record<string, RouterSummary> = {};
  const outOfFold: Record<string, boolean> = {};
  const runs: { name: string; items: ReplayItem[]; choices: Int32Array[]; grid: number[]; pair?: PairCurve }[] = [];
  let cost: number[][] | undefined;
  for (const [name, classifier] of Object.entries(classifiers)) {
    const every = await buildReplayItems(policy, asGiven, classifier);
    const items = complete.map((i) => every[i]!);
    outOfFold[name] = replaysOutOfFold(classifier, asGiven);
    if (!cost) {
      cost = costSource === 'data'
        ? scored.rows.map((r) => ids.map((id) => r.costs![id]!))
        : items.map((it) => ids.map((id) => decide(policy, { ...it.facts, pinnedModel: id }, it.classification).predictedCostMicros));
    }
    const grid = floors(items, ids, maxFloors);
    const choices = routerChoices(policy, rule, items, ids, grid);
    let pair: PairCurve | undefined;
    if (o.weak && o.strong) {
      const cands = rule.candidates.filter((c) => c.id === o.weak || c.id === o.strong);
      pair = { weak: ids.indexOf(o.weak), strong: ids.indexOf(o.strong), choices: routerChoices(policy, rule, items, ids, floors(items, [o.weak], maxFloors), cands) };
    }
    runs.push({ name, items, choices, grid, pair });
  }
  const costs = cost!;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const oracle = oracleChoices(quality, costs);
  const single = (m: number, rows: ArrayLike<number>) => pointOf(new Int32Array(quality.length).fill(m), quality, costs, rows);
  /** Every headline figure on one set of rows (the data itself, or a bootstrap resample). */
  const figures = (rows: ArrayLike<number>) => {
    const singles = ids.map((_, m) => single(m, rows));
    const best = singles.reduce((b, p, m) => (p.quality > singles[b]!.quality ? m : b), 0);
    const target = 0.95 * singles[best]!.quality;
    const lo = Math.min(...singles.map((p) => p.cost));
    const hi = Math.max(...singles.map((p) => p.cost));
    const budgets = BUDGETS.map((b) => b * singles[best]!.cost);
    const curve = (pts: FrontierPoint[]) => {
      const c = curveFigures(pts, target, lo, hi);
      return { ...c, qualityAt: budgets.map((x) => (x < c.hull[0]!.cost ? Number.NaN : qualityAtCost(c.hull, x))) };
    };
    return {
      singles,
      best,
      target,
      zero: curve(singles),
      oracle: curve(oracle.map((ch) => pointOf(ch, quality, costs, rows))),
      routers: runs.map((r) => ({ ...curve(r.choices.map((ch) => pointOf(ch, quality, costs, rows))), pair: r.pair ? pairMetrics(r.pair, quality, rows) : undefined })),
    };
  };
  const full = figures(all);
  const B = o.bootstrap ?? 200;
  const draw = rng(o.seed ?? 1);
  const samples: ReturnType<typeof figures>[] = [];
  for (let b = 0; b < B; b++) {
    const rows = new Int32Array(n);
    for (let k = 0; k < n; k++) rows[k] = Math.floor(draw() * n);
    samples.push(figures(rows));
  }
  const ci = (f: (s: ReturnType<typeof figures>) => number | null): Interval => interval(samples.map(f));
  type Curve = ReturnType<typeof figures>['zero'];
  const summary = (c: Curve, pick: (s: ReturnType<typeof figures>) => Curve): CurveSummary => ({
    costAt95: c.costAt95,
    aiq: c.aiq,
    maxQuality: c.maxQuality,
    qualityAt: c.qualityAt,
    hull: c.hull,
    ci: { costAt95: ci((s) => pick(s).costAt95), aiq: ci((s) => pick(s).aiq), qualityAt: BUDGETS.map((_, b) => ci((s) => (Number.isNaN(pick(s).qualityAt[b]!) ? null : pick(s).qualityAt[b]!))) },
  });
  const paired = (s: ReturnType<typeof figures>, k: number) => {
    const r = s.routers[k]!;
    const gap = s.oracle.aiq - s.zero.aiq;
    return {
      gapRecovered: gap > 0 ? (r.aiq - s.zero.aiq) / gap : 0,
      aiqOverZero: r.aiq - s.zero.aiq,
      costAt95VsZero: r.costAt95 !== null && s.zero.costAt95 ? r.costAt95 / s.zero.costAt95 : null,
    };
  };
  const versus = (s: ReturnType<typeof figures>, k: number) => {
    const [a, b] = [s.routers[0]!, s.routers[k]!];
    // Only this router reaches the target: 0 (infinitely cheaper); only the other, or neither: null (never, +∞ in intervals).
    return { costAt95Ratio: a.costAt95 === null ? null : b.costAt95 === null ? 0 : b.costAt95 > 0 ? a.costAt95 / b.costAt95 : null, aiqDiff: a.aiq - b.aiq };
  };
  const vs = Object.fromEntries(runs.slice(1).map((r, k) => [r.name, { ...versus(full, k + 1), ci: { costAt95Ratio: ci((s) => versus(s, k + 1).costAt95Ratio), aiqDiff: ci((s) => versus(s, k + 1).aiqDiff) } } satisfies PairedComparison]));
  runs.forEach((r, k) => {
    const f = full.routers[k]!;
    const shareOf = (ch: Int32Array) => Object.fromEntries(ids.map((id, m) => [id, ch.reduce((s, x) => s + (x === m ? 1 : 0), 0) / n]));
    routers[r.name] = {
      classifier: r.items[0]?.classification.source ?? r.name,
      outOfFold: outOfFold[r.name] ?? false,
      ...summary(f, (s) => s.routers[k]!),
      ...paired(full, k),
      ciPaired: { gapRecovered: ci((s) => paired(s, k).gapRecovered), aiqOverZero: ci((s) => paired(s, k).aiqOverZero), costAt95VsZero: ci((s) => paired(s, k).costAt95VsZero) },
      ...(k === 0 && runs.length > 1 ? { vs } : {}),
      points: r.choices.map((ch, p) => ({ ...pointOf(ch, quality, costs), floor: r.grid[p]!, shares: shareOf(ch) })),
      ...(f.pair ? { pair: { weak: o.weak!, strong: o.strong!, ...f.pair, ci: { apgr: ci((s) => s.routers[k]!.pair!.apgr) } } } : {}),
    };
  });
  const mean = full.singles.reduce((a, p) => ({ cost: a.cost + p.cost / ids.length, quality: a.quality + p.quality / ids.length }), { cost: 0, quality: 0 });
  return {
    rule: rule.name,
    models: ids,
    n,
    dropped,
    costSource,
    bestModel: ids[full.best]!,
    target: full.target,
    bootstrap: B,
    singles: ids.map((model, m) => ({
      model,
      ...full.singles[m]!,
      costAt95: full.singles[m]!.quality >= full.target - 1e-12 ? full.singles[m]!.cost : null,
      ci: { quality: ci((s) => s.singles[m]!.quality), cost: ci((s) => s.singles[m]!.cost) },
    })),
    random: mean,
    zeroRouter: summary(full.zero, (s) => s.zero),
    oracle: summary(full.oracle, (s) => s.oracle),
    routers,
  };
}
