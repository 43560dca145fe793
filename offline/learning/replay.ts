/**
 * Replays requests through the real router (`decide`) at different quality floors, to draw the
 * cost–quality curve (eval) and to pick a floor that meets a target (tune). Each replayed request
 * carries its facts, its classification, and optionally the observed quality of some models (labels
 * from a data set, or feedback from the decision log). The floor is applied to one rule — the one
 * whose candidates include both the weak and the strong model.
 */
import type { CompiledPolicy, CompiledRule } from '../../index.js';
import { decide, type RouteFacts } from '../../index.js';
import type { Classification } from '../../index.js';
import { RoutingDataError } from './errors.js';
import type { CurvePoint } from './metrics.js';

export interface ReplayItem {
  facts: RouteFacts;
  classification: Classification;
  /** Observed quality per model (labels or feedback); the prediction stands in for models without one. */
  observed?: Record<string, number>;
}

export interface SeparatingRule {
  /** Rule name, or `default` for the policy's implicit default rule. */
  rule: string;
  /** Index in `policy.rules`, or -1 for the default rule. */
  index: number;
  weak: string;
  strong: string;
}

/**
 * The rule tuned for weak/strong routing: the first rule whose candidates include both models (the
 * default rule when none does). Without ids, weak/strong are that rule's cheapest / dearest candidates
 * by output price. Throws {@link RoutingDataError} when the models are not in the policy.
 */
export function separatingRule(policy: CompiledPolicy, weak?: string, strong?: string): SeparatingRule {
  for (const id of [weak, strong]) if (id !== undefined && !policy.byId.has(id)) throw new RoutingDataError(policy.name, `model "${id}" is not declared in the policy (models: ${[...policy.byId.keys()].join(', ')})`);
  const rules: [CompiledRule, number][] = [...policy.rules.map((r, i) => [r, i] as [CompiledRule, number]), [policy.defaultRule, -1]];
  for (const [rule, index] of rules) {
    const ids = rule.candidates.map((c) => c.id);
    if (weak && strong) {
      if (ids.includes(weak) && ids.includes(strong)) return { rule: rule.name, index, weak, strong };
      continue;
    }
    if (rule.candidates.length < 2) continue;
    const byPrice = [...rule.candidates].sort((a, b) => a.basis.price.outputPerM - b.basis.price.outputPerM || a.order - b.order);
    return { rule: rule.name, index, weak: weak ?? byPrice[0]!.id, strong: strong ?? byPrice[byPrice.length - 1]!.id };
  }
  throw new RoutingDataError(policy.name, 'no rule routes between two models (need a rule with at least two candidates)');
}

/** The policy with rule `sep`'s quality floor replaced (the compiled policy is otherwise shared). */
export function withFloor(policy: CompiledPolicy, sep: SeparatingRule, floor: number): CompiledPolicy {
  const patch = (r: CompiledRule): CompiledRule => ({ ...r, qualityFloor: floor });
  return sep.index < 0 ? { ...policy, defaultRule: patch(policy.defaultRule) } : { ...policy, rules: policy.rules.map((r, i) => (i === sep.index ? patch(r) : r)) };
}

/** One operating point: every item routed at `floor`. Quality = observed score of the chosen model, else its prediction. */
export function replayAt(policy: CompiledPolicy, sep: SeparatingRule, items: readonly ReplayItem[], floor: number): CurvePoint & { tokens: number } {
  const p = withFloor(policy, sep, floor);
  let strong = 0;
  let quality = 0;
  let cost = 0;
  let tokens = 0;
  for (const it of items) {
    const d = decide(p, it.facts, it.classification);
    if (d.chosen.id === sep.strong) strong++;
    quality += it.observed?.[d.chosen.id] ?? d.predictedQuality;
    cost += d.predictedCostMicros;
    tokens += d.promptTokens + it.classification.predictedOutputTokens;
  }
  const n = Math.max(1, items.length);
  return { threshold: floor, strongShare: strong / n, quality: quality / n, cost: cost / n, tokens: tokens / n };
}

/** Every item sent to one model (pinned): the all-weak / all-strong reference points. */
export function replayPinned(policy: CompiledPolicy, items: readonly ReplayItem[], model: string, strongId: string): CurvePoint & { tokens: number } {
  let quality = 0;
  let cost = 0;
  let tokens = 0;
  for (const it of items) {
    const d = decide(policy, { ...it.facts, pinnedModel: model }, it.classification);
    quality += it.observed?.[model] ?? d.predictedQuality;
    cost += d.predictedCostMicros;
    tokens += d.promptTokens + it.classification.predictedOutputTokens;
  }
  const n = Math.max(1, items.length);
  return { strongShare: model === strongId ? 1 : 0, quality: quality / n, cost: cost / n, tokens: tokens / n };
}

/**
 * Floors worth trying: 0, every distinct predicted quality of the weak model — or of each of `ids` (N models) — (subsampled evenly to at
 * most `max`), and one just above 1 (nothing meets it: the best-quality model is chosen).
 */
export function floorGrid(items: readonly ReplayItem[], weak: string | readonly string[], max = 400): number[] {
  const ids = typeof weak === 'string' ? [weak] : weak;
  const values = [...new Set(items.flatMap((it) => ids.map((id) => it.classification.quality[id])).filter((q): q is number => q !== undefined))].sort((a, b) => a - b);
  const step = Math.max(1, values.length / max);
  const picked: number[] = [];
  for (let i = 0; i < values.length; i += step) picked.push(values[Math.floor(i)]!);
  if (values.length) picked.push(values[values.length - 1]!);
  // A floor just above a value excludes it: use midpoints so each floor sits between two predictions.
  const floors = [0, ...picked.map((v) => Math.min(1.000001, v + 1e-9)), 1.000001];
  return [...new Set(floors)].sort((a, b) => a - b);
}

/** The curve over {@link floorGrid}. */
export function replayCurve(policy: CompiledPolicy, sep: SeparatingRule, items: readonly ReplayItem[], max = 400): (CurvePoint & { tokens: number })[] {
  return floorGrid(items, sep.weak, max).map((f) => replayAt(policy, sep, items, f));
}
