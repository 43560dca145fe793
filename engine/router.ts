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

/** A rule without conditions. */
const NO_CONDITIONS: NonNullable<CompiledRule['spec']['when']> = {};

/** The rule that applies: first match in policy order, else the implicit default rule. Pure. */
export function matchRule(policy: CompiledPolicy, facts: RouteFacts, c: Classification): CompiledRule {
  for (const rule of policy.rules) {
    if (rule.tenants && !rule.tenants.has(facts.tenant)) continue;
    if (rule.tags && !facts.tags.some((t) => rule.tags!.has(t))) continue;
    if (rule.tasks && !rule.tasks.has(c.task)) continue;
    const w = rule.spec.when ?? NO_CONDITIONS;
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
    return finish(policy, facts, c, { ruleName: 'pinned', models: [m], floor: 0, maxCost: undefined, pinned: m, prefer: undefined });
  }
  const rule = matchRule(policy, facts, c);
  return finish(policy, facts, c, { ruleName: rule.name, models: rule.candidates, floor: rule.qualityFloor, maxCost: rule.maxCostMicros, pinned: undefined, prefer: rule.spec.prefer });
}

/** What {@link finish} chooses among: the rule's name and candidates, its quality floor, cost cap and preference, or a pinned model. */
interface ChoiceSpec {
  ruleName: string;
  models: CompiledModel[];
  floor: number;
  maxCost: number | undefined;
  pinned: CompiledModel | undefined;
  prefer: 'cheapest' | 'quality' | undefined;
}

function finish(policy: CompiledPolicy, facts: RouteFacts, c: Classification, spec: ChoiceSpec): Decision {
  const s = takeScores(spec.models.length);
  try {
    return choose(policy, facts, c, spec, s);
  } finally {
    spareScores = s;
  }
}

/** {@link finish} on the scores `s` (room for every model). */
function choose(policy: CompiledPolicy, facts: RouteFacts, c: Classification, spec: ChoiceSpec, s: Scores): Decision {
  const { ruleName, models, floor, maxCost, pinned, prefer } = spec;
  const n = models.length;
  const candidates = new Array<CandidateRecord>(n); // filled below, no holes left (sized once: per request)
  const excluded = facts.excluded;
  for (let i = 0; i < n; i++) {
    const m = models[i]!;
    const prompt = facts.promptTokens.get(m.encoding) ?? 0;
    const cost = plainFullCost(m.basis, prompt, c.predictedOutputTokens);
    const quality = c.quality[m.id] ?? m.spec.quality;
    const fits = prompt <= m.spec.contextWindow;
    const overMax = maxCost !== undefined && cost > maxCost;
    let reason: string | undefined = excluded?.get(m.id);
    if (!reason && overMax) reason = `predicted cost ${cost} µ$ > max ${maxCost} µ$`;
    const meetsFloor = quality >= floor;
    if (!reason && !meetsFloor) reason = floorReason(quality, floor);
    if (!reason && !fits) reason = `prompt ${prompt} > context window ${m.spec.contextWindow}`;
    candidates[i] = { model: m.id, tier: m.tier, predictedCostMicros: cost, predictedQuality: round3(quality), eligible: !reason, reason };
    s.prompt[i] = prompt;
    s.cost[i] = cost;
    s.quality[i] = quality;
    s.flags[i] = (fits ? FITS : 0) | ((excluded !== undefined && excluded.has(m.id)) || overMax ? BLOCKED : 0) | (meetsFloor ? FLOOR : 0);
  }
  const byQuality = prefer === 'quality';
  let choice = pinned ? 0 : pick(s, models, byQuality, FLOOR);
  let note: string | undefined;
  if (choice < 0) {
    choice = pick(s, models, true, 0);
    if (choice >= 0) note = 'no candidate met the quality floor; best available';
  }
  if (choice < 0) throw new NoEligibleModelError(ruleName, Object.fromEntries(candidates.map((x) => [x.model, x.reason ?? 'excluded'])));
  if ((s.flags[choice]! & FITS) === 0) {
    const m = models[choice]!;
    const prompt = s.prompt[choice]!;
    if (policy.policy.defaults.onContextOverflow === 'refuse' || pinned) throw new ContextWindowError(m.id, prompt, m.spec.contextWindow);
    let fitting = pick(s, models, byQuality, FITS | FLOOR);
    if (fitting < 0) fitting = pick(s, models, true, FITS);
    if (fitting < 0) throw new ContextWindowError(m.id, prompt, m.spec.contextWindow);
    note = `rerouted from ${m.id}: prompt ${prompt} > context window ${m.spec.contextWindow}`;
    choice = fitting;
  }
  const chosen = models[choice]!;
  for (const cand of candidates) if (cand.model === chosen.id) cand.eligible = true;
  const fallbacks = policy.policy.fallbacks[chosen.id] ?? NO_FALLBACKS;
  const chain = new Array<string>(fallbacks.length); // sized once, cut to the ids kept
  let kept = 0;
  for (const id of fallbacks) {
    const fb = policy.byId.get(id)!;
    if ((facts.promptTokens.get(fb.encoding) ?? 0) <= fb.spec.contextWindow && !facts.excluded?.has(id)) chain[kept++] = id;
  }
  if (kept !== chain.length) chain.length = kept; // (setting a length is a builtin call: only when one was cut)
  return {
    rule: ruleName,
    chosen,
    promptTokens: s.prompt[choice]!,
    predictedCostMicros: s.cost[choice]!,
    predictedQuality: s.quality[choice]!,
    candidates,
    fallbackChain: chain,
    rerouted: note,
  };
}

const NO_FALLBACKS: readonly string[] = [];

/**
 * Each candidate's prompt, cost, quality and flags while {@link finish} picks (index = position in
 * its model list): scratch arrays reused call after call, so there are no objects per candidate and
 * request ({@link takeScores}).
 */
interface Scores {
  prompt: Float64Array;
  cost: Float64Array;
  quality: Float64Array;
  flags: Uint8Array;
}
/** {@link Scores} flags: the prompt fits the context window; excluded or over max cost; meets the quality floor. */
const FITS = 1;
const BLOCKED = 2;
const FLOOR = 4;
/** The scores not in use ({@link finish} hands them back when done). */
let spareScores: Scores | undefined = newScores(16);

function newScores(size: number): Scores {
  return { prompt: new Float64Array(size), cost: new Float64Array(size), quality: new Float64Array(size), flags: new Uint8Array(size) };
}

/**
 * Scores with room for `n` candidates: the spare ones (grown when a rule has more models), or fresh
 * ones when they are in use (a call made while routing, e.g. from a caller's own `promptTokens` map).
 */
function takeScores(n: number): Scores {
  const s = spareScores;
  spareScores = undefined;
  if (s === undefined) return newScores(n);
  return n > s.flags.length ? newScores(Math.max(n, 2 * s.flags.length)) : s;
}

/**
 * The first best candidate (lowest index among equals) that is not blocked and has every flag of
 * `need`, or -1: best by cost, then higher quality, then policy order; or with `byQuality`, best by
 * quality, then lower cost, then policy order.
 */
function pick(s: Scores, models: readonly CompiledModel[], byQuality: boolean, need: number): number {
  const mask = need | BLOCKED;
  let best = -1;
  for (let x = 0; x < models.length; x++) {
    if ((s.flags[x]! & mask) !== need) continue;
    if (best < 0) {
      best = x;
      continue;
    }
    const dc = s.cost[x]! - s.cost[best]!;
    const dq = s.quality[best]! - s.quality[x]!;
    const d = (byQuality ? dq || dc : dc || dq) || models[x]!.order - models[best]!.order;
    if (d < 0) best = x;
  }
  return best;
}

/**
 * `predicted quality … < floor …`, memoised: qualities and floors come from a small set (policy
 * priors lowered by a complexity rounded to 0.01), and formatting them is a visible share of a
 * simulation's time. A direct-mapped table of {@link FLOOR_REASON_SLOTS} entries hashed from the two
 * numbers (no boxing, no Map): a colliding pair replaces the slot's entry, so memory stays bounded.
 */
function floorReason(quality: number, floor: number): string {
  const slot = ((quality * 1_000_003) ^ (floor * 10_007)) & (FLOOR_REASON_SLOTS - 1);
  if (reasonQuality[slot] === quality && reasonFloor[slot] === floor) return reasonText[slot]!;
  const reason = `predicted quality ${quality.toFixed(3)} < floor ${floor}`;
  reasonQuality[slot] = quality;
  reasonFloor[slot] = floor;
  reasonText[slot] = reason;
  return reason;
}
const FLOOR_REASON_SLOTS = 1_024;
/** NaN: an empty slot (NaN equals nothing, so a NaN quality is formatted afresh every time). */
const reasonQuality = new Float64Array(FLOOR_REASON_SLOTS).fill(Number.NaN);
const reasonFloor = new Float64Array(FLOOR_REASON_SLOTS);
const reasonText: string[] = new Array<string>(FLOOR_REASON_SLOTS).fill('');

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
