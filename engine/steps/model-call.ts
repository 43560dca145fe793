import type { CompiledModel, CompiledPolicy } from '../compiled-policy.js';
import type { RequestFacts } from '../request-facts.js';
import type { Decision } from '../router.js';
import type { ModelSpec } from '../../policies/schema.js';
import type { ModelCallInput } from '../seams/model-adapter.js';
import { outputCap } from './admission.js';

/**
 * The synchronous core of the invoke step: what every model of the chain is called with. `invokeModel`
 * (engine/request-steps.ts) hands it to `invokeWithFallbacks` (retries, breaker, fallbacks); the
 * simulator's fast replay hands it to the simulated adapter's synchronous call.
 */

/** The models to try, in order: the chosen one, then its fallback chain. */
export function modelChain(policy: CompiledPolicy, decision: Decision): CompiledModel[] {
  const chain = [decision.chosen];
  for (const id of decision.fallbackChain) chain.push(policy.byId.get(id)!);
  return chain;
}

/** The call input shared by every attempt (each attempt sets its model and its own deadline signal). */
export type ModelCallBase = Omit<ModelCallInput, 'model' | 'signal'> & { model?: ModelSpec; signal?: AbortSignal };

/**
 * The request's messages, output cap, sampling parameters, id and simulation hints as the adapters
 * take them; with `model`, the whole input of a call to that model (for a caller that makes one).
 */
export function modelCallBase(policy: CompiledPolicy, facts: RequestFacts, signal?: AbortSignal): ModelCallBase;
export function modelCallBase(policy: CompiledPolicy, facts: RequestFacts, signal: AbortSignal | undefined, model: ModelSpec): ModelCallBase & { model: ModelSpec };
export function modelCallBase(policy: CompiledPolicy, facts: RequestFacts, signal?: AbortSignal, model?: ModelSpec): ModelCallBase {
  const r = facts.request;
  // Built by assignment rather than conditional spreads (this runs per request; the fast replay's
  // hottest allocation): the same keys in the same order.
  const input: Partial<ModelCallBase> = {
    model,
    messages: r.messages,
    maxOutputTokens: outputCap(policy, facts),
    temperature: r.temperature,
    topP: r.topP,
    stop: typeof r.stop === 'string' ? [r.stop] : r.stop,
    seed: r.seed,
  };
  if (r.tools) input.tools = r.tools;
  if (r.toolChoice !== undefined) input.toolChoice = r.toolChoice;
  if (r.parallelToolCalls !== undefined) input.parallelToolCalls = r.parallelToolCalls;
  if (r.responseFormat) input.responseFormat = r.responseFormat;
  if (r.reasoningEffort) input.reasoningEffort = r.reasoningEffort;
  if (r.serviceTier) input.serviceTier = r.serviceTier;
  if (r.n !== undefined) input.n = r.n;
  if (r.passthrough) input.passthrough = r.passthrough;
  if (r.metadata?.user) input.user = r.metadata.user;
  input.requestId = facts.id;
  input.signal = signal;
  input.simulation = r.simulation;
  return input as ModelCallBase;
}
