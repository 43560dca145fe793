import type { CompiledModel } from './compiled-policy.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { AllModelsFailedError, ProviderError, StreamInterruptedError, TollgateError } from './errors.js';
import { leaseController, releaseController } from './abort-pool.js';
import type { ModelAdapter, ModelCallInput, ModelResponse, StreamEvent } from './seams/model-adapter.js';

export interface RetrySettings {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export interface InvokeOutcome {
  model: CompiledModel;
  response: ModelResponse;
  attempts: number;
  /** Models given up on before the one that answered, with the error code that made us move on. */
  fallbacks: { model: string; code: string }[];
}

export interface InvokeDeps {
  adapterFor(model: CompiledModel): ModelAdapter;
  breaker: CircuitBreaker;
  retry: RetrySettings;
  sleep?: (ms: number) => Promise<void>;
}

type Attempt<T> = (adapter: ModelAdapter, input: ModelCallInput) => Promise<T>;

/**
 * Calls the chain `[chosen, ...fallbacks]`: each model gets up to `maxAttempts` tries with exponential
 * backoff (honouring the vendor's Retry-After, capped at `maxDelayMs`) and a per-attempt timeout; a
 * non-retryable error or an open circuit moves straight to the next model. Throws
 * {@link AllModelsFailedError} when the chain is exhausted — never returns without an answer.
 */
export async function invokeWithFallbacks<T>(
  chain: CompiledModel[],
  base: Omit<ModelCallInput, 'model' | 'signal'> & { signal?: AbortSignal },
  deps: InvokeDeps,
  attemptFn: Attempt<T>,
): Promise<{ model: CompiledModel; value: T; attempts: number; fallbacks: { model: string; code: string }[] }> {
  const failures: { model: string; code: string; message: string }[] = [];
  let attempts = 0;
  const sleep = deps.sleep ?? realSleep;
  for (const model of chain) {
    const ticket = deps.breaker.allow(model.id);
    if (!ticket) {
      failures.push({ model: model.id, code: 'provider_circuit_open', message: `circuit open for ${model.id}` });
      continue;
    }
    const adapter = deps.adapterFor(model);
    try {
      for (let attempt = 1; attempt <= deps.retry.maxAttempts; attempt++) {
        attempts++;
        const deadline = attemptDeadline(deps.retry.timeoutMs, base.signal);
        try {
          const value = await attemptFn(adapter, { ...base, model: model.spec, signal: deadline.signal });
          ticket.success();
          return { model, value, attempts, fallbacks: failures.map((f) => ({ model: f.model, code: f.code })) };
        } catch (err) {
          if (base.signal?.aborted) throw err; // the caller gave up: says nothing about the model (released below)
          if (err instanceof StreamInterruptedError) {
            ticket.failure(); // the vendor cut a stream that had started: counts against the model
            throw err;
          }
          const e = asProviderError(err, model.id, deadline.timedOut());
          if (e.retryable) ticket.failure();
          const last = attempt === deps.retry.maxAttempts || !e.retryable || deps.breaker.isOpen(model.id);
          if (last) {
            failures.push({ model: model.id, code: e.code, message: e.message });
            break;
          }
          const backoff = Math.min(deps.retry.maxDelayMs, deps.retry.baseDelayMs * 2 ** (attempt - 1));
          await sleep(Math.min(deps.retry.maxDelayMs, Math.max(backoff, e.retryAfterMs ?? 0)));
        } finally {
          deadline.clear();
        }
      }
    } finally {
      ticket.release(); // frees a half-open trial that ended in a 4xx, an abort or an exception
    }
  }
  throw new AllModelsFailedError(failures, attempts);
}

/**
 * One attempt's abort signal: fires after `ms` or when the caller's signal aborts. Cleared as soon as
 * the attempt ends — unlike `AbortSignal.timeout`, whose timers and listeners live on for the full
 * timeout and showed up as GC pauses in the engine's p99 (bench/core.ts).
 */
function attemptDeadline(ms: number, parent?: AbortSignal): { signal: AbortSignal; timedOut: () => boolean; clear: () => void } {
  const ac = leaseController(); // reused when the attempt left it untouched (engine/abort-pool.ts)
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    ac.abort(new DOMException('attempt timed out', 'TimeoutError'));
  }, ms);
  const onAbort = () => ac.abort(parent!.reason);
  if (parent) {
    if (parent.aborted) ac.abort(parent.reason);
    else parent.addEventListener('abort', onAbort, { once: true });
  }
  return {
    signal: ac.signal,
    timedOut: () => fired,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
      releaseController(ac);
    },
  };
}

/** Non-streaming attempt. */
export const callAttempt: Attempt<ModelResponse> = (adapter, input) => adapter.call(input);

function asProviderError(err: unknown, model: string, timedOut: boolean): ProviderError {
  if (err instanceof ProviderError) return err;
  if (timedOut) return new ProviderError('timeout', model, `${model} timed out`);
  if (err instanceof TollgateError) return new ProviderError('bad_response', model, err.message, undefined, undefined, { cause: err });
  return new ProviderError('network', model, `${model}: ${(err as Error)?.message ?? 'unknown error'}`, undefined, undefined, { cause: err });
}

/** Waits `ms` of real time (at once for ms ≤ 0): the engine's default sleep. */
export const realSleep = (ms: number): Promise<void> => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

export type { StreamEvent };
