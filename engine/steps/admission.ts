import type { CompiledPolicy } from '../compiled-policy.js';
import { RateLimitedError } from '../errors.js';
import { chooseLimitAction, formatLimitAction, LimitActionRefusedError } from '../limit-actions.js';
import type { RequestFacts } from '../request-facts.js';
import { downgradeExclusions, reservationSize } from '../reservation-size.js';
import { decide, type Decision, type RouteFacts } from '../router.js';
import { capabilityExclusions, requestNeeds, toolResultTokens, turnCount } from '../capabilities.js';
import type { Reservation, ReserveRequest } from '../seams/budget-store.js';
import type { Classification, ClassifierInput } from '../seams/classifier.js';
import type { RateLimitRequest, RateLimitResult } from '../seams/rate-limiter.js';

/**
 * The synchronous cores of the request steps from classification to the near-limit action. Each async
 * step of `complete()` (engine/request-steps.ts) is one of these plus the store call it plans; the
 * simulator's fast replay (offline/simulation/fast-replay.ts) runs the same cores against the
 * synchronous twins of the in-memory stores. There is nothing here to keep equal by hand: a change to a
 * core changes both paths.
 */

/** What the classifier reads of a request: its validated form, the prompt text and the largest prompt count. */
export function classifierInput(facts: RequestFacts): ClassifierInput {
  return { request: facts.request, text: facts.text, promptTokens: facts.maxPromptTokens };
}

/**
 * Routes the request (`decide()`): pinned model, tenant, tags and prompt counts from its facts; `excluded`
 * models skipped, and so are models lacking what the request needs (engine/capabilities.ts; a pinned
 * model lacking it is a ValidationError).
 */
export function routeRequest(policy: CompiledPolicy, facts: RequestFacts, classification: Classification, excluded?: ReadonlyMap<string, string>): Decision {
  const r = facts.request;
  const pinned = r.model !== undefined ? policy.byId.get(r.model) : undefined;
  const gaps = capabilityExclusions(policy.models, r, pinned);
  const skip = gaps ? (excluded ? new Map([...gaps, ...excluded]) : gaps) : excluded;
  const route: RouteFacts = { tenant: r.tenant, tags: facts.tags, promptTokens: facts.promptTokens, pinnedModel: r.model, excluded: skip };
  return decide(policy, addRuleFacts(policy, r, route), classification);
}

/** Adds the request facts rule conditions read (needs, turns, tool-result tokens) to `out`, computed only when a rule asks. */
function addRuleFacts(policy: CompiledPolicy, r: RequestFacts['request'], out: RouteFacts): RouteFacts {
  for (const rule of policy.rules) {
    const w = rule.spec.when;
    if (!w) continue;
    if (w.needs && !out.needs) out.needs = requestNeeds(r);
    if (w.turns && out.turns === undefined) out.turns = turnCount(r);
    if (w.toolResultTokens && out.toolResultTokens === undefined) out.toolResultTokens = toolResultTokens(r);
  }
  return out;
}

/** The output cap sent to the model (and so the reservation's output size): the request's, else the policy default. */
export function outputCap(policy: CompiledPolicy, facts: RequestFacts): number {
  return facts.request.maxOutputTokens ?? policy.policy.defaults.maxOutputTokens;
}

/** The rate-limit take for the tenant and the chosen model: prompt tokens plus the output cap. */
export function rateLimitRequest(policy: CompiledPolicy, facts: RequestFacts, decision: Decision): RateLimitRequest {
  return { tenant: facts.request.tenant, model: decision.chosen.id, tokens: decision.promptTokens + outputCap(policy, facts) };
}

/** Admits the request on the rate limiter's verdict, or throws {@link RateLimitedError}. */
export function checkRateLimit(facts: RequestFacts, result: RateLimitResult): void {
  if (!result.allowed) throw new RateLimitedError(facts.request.tenant, result.limit, result.retryAfterMs);
}

/** The budget reservation: the most the request can cost (prompt + output cap on the priciest model of its chain). */
export function reserveRequest(policy: CompiledPolicy, facts: RequestFacts, decision: Decision, reservationId: string = facts.id): ReserveRequest {
  const { micros, tokens } = reservationSize(policy, decision, facts.promptTokens, outputCap(policy, facts));
  return { tenant: facts.request.tenant, requestId: reservationId, micros, tokens, tags: facts.tags };
}

/**
 * What the near-limit action asks of the stores once recorded: wait (`throttle`), or release the
 * reservation and reserve again for the re-routed `decision` under `reservationId` (`downgrade`).
 */
export type LimitStep = { kind: 'throttle'; delayMs: number } | { kind: 'downgrade'; decision: Decision; reservationId: string };

/**
 * The tenant's near-limit action (policy `tenants[t].actions`) chosen by the reservation's budget
 * fraction, recorded in `actions` (the decision record's): `warn` records only; `refuse` records and
 * throws {@link LimitActionRefusedError} (the failure path refunds the reservation); `throttle` and
 * `downgrade` return the {@link LimitStep} the caller performs. A downgrade re-routes within the
 * cheaper tiers; when nothing there fits it records `<action>:unavailable` and the request goes on
 * as routed. `undefined`: nothing more to do.
 */
export function limitActionStep(policy: CompiledPolicy, facts: RequestFacts, classification: Classification, decision: Decision, reservation: Reservation, actions: string[]): LimitStep | undefined {
  const tenant = facts.request.tenant;
  const action = chooseLimitAction(policy.policy.tenants[tenant], reservation.usedFraction);
  if (!action) return undefined;
  if (action.action === 'refuse') {
    actions.push(formatLimitAction(action));
    throw new LimitActionRefusedError(tenant, action.usedFraction, action.atFraction);
  }
  if (action.action === 'throttle') {
    actions.push(formatLimitAction(action));
    return { kind: 'throttle', delayMs: action.delayMs };
  }
  if (action.action === 'warn') {
    actions.push(formatLimitAction(action));
    return undefined;
  }
  const excluded = downgradeExclusions(policy, action, decision.chosen, !!facts.request.model);
  if (!excluded) return undefined; // already there, or pinned by the caller
  let downgraded: Decision;
  try {
    downgraded = routeRequest(policy, facts, classification, excluded);
  } catch {
    actions.push(`${formatLimitAction(action)}:unavailable`);
    return undefined;
  }
  actions.push(formatLimitAction(action));
  return { kind: 'downgrade', decision: downgraded, reservationId: `${facts.id}:downgraded` };
}
