import type { CandidateRecord } from './decision-record.js';
import { plainFullCost } from './cost.js';
import type { CompiledModel, CompiledPolicy, CompiledRule } from './compiled-policy.js';
import { ContextWindowError, NoEligibleModelError, UnknownModelError } from './errors.js';
import type { Classification } from './seams/classifier.js';
import type { Encoding } from './tokens.js';

/** Request facts the router needs (no message text: routing never reads the prompt itself). */
export interface RouteFacts {
  tenant: string;
  tags: readonly string[];
  /** Prompt tokens per tokenizer family used by the policy's models. */
  promptTokens: ReadonlyMap<Encoding, number>;
  /** A model pinned by the caller (skips rule selection). */
  pinnedModel?: string;
  /** Models to skip (open circuit, downgraded tiers, lacking a capability…), with the reason. */
  excluded?: ReadonlyMap<string, string>;
  /** What the request needs (rule condition `needs`; engine/capabilities.ts). */
  needs?: ReadonlySet<string>;
  /** Non-system messages (rule condition `turns`). */
  turns?: number;
  /** Tool-result tokens in the history (rule condition `toolResultTokens`). */
  toolResultTokens?: number;
}

export interface Decision {
  rule: string;
  chosen: CompiledModel;
  promptTokens: number;
  predictedCostMicros: number;
  predictedQuality: number;
  candidates: CandidateRecord[];
  /** Ordered fallback model ids after the chosen one (those that fit the prompt). */
  fallbackChain: string[];
  /** Set when the policy's overflow handling moved the request off the first choice. */
  rerouted?: string;
}

/** The rule that applies: first match in policy order, else the implicit default rule. Pure. */
export function matchRule(policy: CompiledPolicy, facts: RouteFacts, c: Classification): CompiledRule {
  for (const rule of policy.rules) {
    if (rule.tenants && !rule.tenants.has(facts.tenant)) continue;
    if (rule.tags && !facts.tags.some((t) => rule.tags!.has(t))) continue;
    if (rule.tasks && !rule.tasks.has(c.task)) continue;
    const w = rule.spec.when ?? {};
    if (w.complexity && !inRange(c.complexity, w.complexity)) continue;
    if (w.promptTokens && !inRange(maxTokens(facts.promptTokens), w.promptTokens)) continue;
    if (w.needs && !w.needs.every((n) => facts.needs?.has(n))) continue;
    if (w.turns && !inRange(facts.turns ?? 0, w.turns)) continue;
    if (w.toolResultTokens && !inRange(facts.toolResultTokens ?? 0, w.toolResultTokens)) continue;
    return rule;
  }
  return policy.defaultRule;
}

/**
 * Picks a model. Pure and deterministic: the cheapest candidate (by predicted full cost) whose predicted
 * quality meets the rule's floor and whose cost is within the rule's max; `prefer: quality` picks the best
 * predicted quality within max cost instead. Ties: higher quality, then lower tier, then policy order.
 * If no candidate meets the floor, the best-quality affordable one is chosen (and the record says so).
 * A prompt over the chosen model's context window is refused ({@link ContextWindowError}) or, with
 * `onContextOverflow: reroute`, sent to the best candidate that fits.
 */
export function decide(policy: CompiledPolicy, facts: RouteFacts, c: Classification): Decision {
  if (facts.pinnedModel !== undefined) {
    const m = policy.byId.get(facts.pinnedModel);
    if (!m) throw new UnknownModelError(facts.pinnedModel);
    return finish(policy, facts, c, 'pinned', [m], 0, undefined, m, undefined);
  }
  const rule = matchRule(policy, facts, c);
  return finish(policy, facts, c, rule.name, rule.candidates, rule.qualityFloor, rule.maxCostMicros, undefined, rule.spec.prefer);
}

function finish(
  policy: CompiledPolicy,
  facts: RouteFacts,
  c: Classification,
  ruleName: string,
  models: CompiledModel[],
  floor: number,
  maxCost: number | undefined,
  pinned: CompiledModel | undefined,
  prefer: 'cheapest' | 'quality' | undefined,
): Decision {
  const candidates: CandidateRecord[] = [];
  const scored: Scored[] = [];
  const excluded = facts.excluded;
  for (const m of models) {
    const prompt = facts.promptTokens.get(m.encoding) ?? 0;
    const cost = plainFullCost(m.basis, prompt, c.predictedOutputTokens);
    const quality = c.quality[m.id] ?? m.spec.quality;
    const fits = prompt <= m.spec.contextWindow;
    let reason: string | undefined = excluded?.get(m.id);
    if (!reason && maxCost !== undefined && cost > maxCost) reason = `predicted cost ${cost} µ$ > max ${maxCost} µ$`;
    const meetsFloor = quality >= floor;
    if (!reason && !meetsFloor) reason = floorReason(quality, floor);
    if (!reason && !fits) reason = `prompt ${prompt} > context window ${m.spec.contextWindow}`;
    candidates.push({ model: m.id, tier: m.tier, predictedCostMicros: cost, predictedQuality: round3(quality), eligible: !reason, reason });
    scored.push({ m, prompt, cost, quality, fits, blocked: excluded?.has(m.id) === true || (maxCost !== undefined && cost > maxCost), meetsFloor });
  }
  const better = prefer === 'quality' ? byQuality : byCost;
  // `pick` over the candidates that pass a filter, without building the filtered arrays (this runs per request).
  let choice = pinned ? scored[0] : pick(scored, better, OPEN_AND_FLOOR);
  let note: string | undefined;
  if (!choice) {
    choice = pick(scored, byQuality, OPEN);
    if (choice) note = 'no candidate met the quality floor; best available';
  }
  if (!choice) throw new NoEligibleModelError(ruleName, Object.fromEntries(candidates.map((x) => [x.model, x.reason ?? 'excluded'])));
  if (!choice.fits) {
    if (policy.policy.defaults.onContextOverflow === 'refuse' || pinned) {
      throw new ContextWindowError(choice.m.id, choice.prompt, choice.m.spec.contextWindow);
    }
    const fitting = pick(scored, better, FITS_OPEN_AND_FLOOR) ?? pick(scored, byQuality, FITS_AND_OPEN);
    if (!fitting) throw new ContextWindowError(choice.m.id, choice.prompt, choice.m.spec.contextWindow);
    note = `rerouted from ${choice.m.id}: prompt ${choice.prompt} > context window ${choice.m.spec.contextWindow}`;
    choice = fitting;
  }
  for (const cand of candidates) if (cand.model === choice.m.id) cand.eligible = true;
  const chain = (policy.policy.fallbacks[choice.m.id] ?? []).filter((id) => {
    const fb = policy.byId.get(id)!;
    return (facts.promptTokens.get(fb.encoding) ?? 0) <= fb.spec.contextWindow && !facts.excluded?.has(id);
  });
  return {
    rule: ruleName,
    chosen: choice.m,
    promptTokens: choice.prompt,
    predictedCostMicros: choice.cost,
    predictedQuality: choice.quality,
    candidates,
    fallbackChain: chain,
    rerouted: note,
  };
}

interface Scored {
  m: CompiledModel;
  prompt: number;
  cost: number;
  quality: number;
  fits: boolean;
  blocked: boolean;
  meetsFloor: boolean;
}

const byCost = (a: Scored, b: Scored): number => a.cost - b.cost || b.quality - a.quality || a.m.order - b.m.order;
const byQuality = (a: Scored, b: Scored): number => b.quality - a.quality || a.cost - b.cost || a.m.order - b.m.order;

const OPEN = (s: Scored): boolean => !s.blocked;
const OPEN_AND_FLOOR = (s: Scored): boolean => !s.blocked && s.meetsFloor;
const FITS_AND_OPEN = (s: Scored): boolean => s.fits && !s.blocked;
const FITS_OPEN_AND_FLOOR = (s: Scored): boolean => s.fits && !s.blocked && s.meetsFloor;

/** The first best (by `cmp`) of the `xs` that pass `keep`. */
function pick(xs: Scored[], cmp: (a: Scored, b: Scored) => number, keep: (s: Scored) => boolean): Scored | undefined {
  let best: Scored | undefined;
  for (const x of xs) if (keep(x) && (!best || cmp(x, best) < 0)) best = x;
  return best;
}

/**
 * `predicted quality … < floor …`, memoised: qualities and floors come from a small set (policy
 * priors lowered by a complexity rounded to 0.01), and formatting them is a visible share of a
 * simulation's time. Bounded: the memo is dropped when it reaches {@link FLOOR_REASONS_MAX} entries.
 */
function floorReason(quality: number, floor: number): string {
  let byQuality = floorReasons.get(floor);
  if (byQuality === undefined) floorReasons.set(floor, (byQuality = new Map()));
  let reason = byQuality.get(quality);
  if (reason === undefined) {
    if (++floorReasonCount > FLOOR_REASONS_MAX) {
      floorReasons.clear();
      floorReasons.set(floor, byQuality);
      byQuality.clear();
      floorReasonCount = 1;
    }
    reason = `predicted quality ${quality.toFixed(3)} < floor ${floor}`;
    byQuality.set(quality, reason);
  }
  return reason;
}
const FLOOR_REASONS_MAX = 4_096;
const floorReasons = new Map<number, Map<number, string>>();
let floorReasonCount = 0;

function inRange(v: number, r: { min?: number; max?: number }): boolean {
  return (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);
}

function maxTokens(m: ReadonlyMap<Encoding, number>): number {
  let max = 0;
  for (const v of m.values()) if (v > max) max = v;
  return max;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** A human-readable account of a decision (for `tollgate explain` and the playground's debug view). */
export function explainDecision(d: Decision): string {
  const lines = [`rule "${d.rule}" → ${d.chosen.id} (${d.chosen.tier}), predicted ${d.predictedCostMicros} µ$, quality ${d.predictedQuality.toFixed(3)}`];
  if (d.rerouted) lines.push(`  note: ${d.rerouted}`);
  for (const c of d.candidates) {
    lines.push(`  ${c.model === d.chosen.id ? '*' : c.eligible ? '+' : '-'} ${c.model.padEnd(24)} ${String(c.predictedCostMicros).padStart(10)} µ$  q=${c.predictedQuality.toFixed(3)}${c.reason ? `  (${c.reason})` : ''}`);
  }
  if (d.fallbackChain.length) lines.push(`  fallbacks: ${d.fallbackChain.join(' → ')}`);
  return lines.join('\n');
}
