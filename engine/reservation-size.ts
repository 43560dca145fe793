import { tierRank, type CompiledModel, type CompiledPolicy } from './compiled-policy.js';
import { plainFullCost } from './cost.js';
import type { LimitAction } from './limit-actions.js';
import type { Decision } from './router.js';
import type { Encoding } from './tokens.js';

/**
 * Pure pieces of admission shared by the engine's steps (request-steps.ts) and the simulator's fast
 * replay: how much a request reserves, and which models a `downgrade` budget action excludes.
 */

/**
 * The most a request can cost: prompt + output cap on the priciest model of `[chosen, ...fallbacks]`
 * (micro-dollars), and the largest prompt + cap in tokens.
 */
export function reservationSize(policy: CompiledPolicy, d: Decision, promptTokens: ReadonlyMap<Encoding, number>, outputCap: number): { micros: number; tokens: number } {
  let m: CompiledModel = d.chosen;
  let input = promptTokens.get(m.encoding) ?? 0;
  let micros = Math.max(0, plainFullCost(m.basis, input, outputCap));
  let tokens = Math.max(0, input + outputCap);
  for (const id of d.fallbackChain) {
    m = policy.byId.get(id)!;
    input = promptTokens.get(m.encoding) ?? 0;
    micros = Math.max(micros, plainFullCost(m.basis, input, outputCap));
    tokens = Math.max(tokens, input + outputCap);
  }
  return { micros, tokens };
}

/**
 * The models a `downgrade` action rules out (every model above the target tier, with the reason the
 * record gives), or `undefined` when the request is already at or below the target tier, or pinned
 * to a model by the caller (then the action changes nothing).
 */
export function downgradeExclusions(policy: CompiledPolicy, action: Extract<LimitAction, { action: 'downgrade' }>, current: CompiledModel, pinned: boolean): Map<string, string> | undefined {
  const target = action.toTier ? tierRank(action.toTier) : tierRank(current.tier) - 1;
  if (tierRank(current.tier) <= target || pinned) return undefined;
  return new Map(policy.models.filter((m) => tierRank(m.tier) > target).map((m) => [m.id, `downgraded by budget action`] as const));
}
