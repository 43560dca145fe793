import { leaseController, releaseController } from './abort-pool.js';
import { ProviderError, StreamInterruptedError, TollgateError } from './errors.js';
import type { ModelAdapter, ModelCallInput, ModelResponse, ToolCallDelta } from './seams/model-adapter.js';

/**
 * A client that goes away in the middle of a stream still costs what the vendor generated. Once text
 * has reached the caller, the caller's abort no longer cancels the upstream call: the engine stops
 * forwarding deltas and keeps reading the vendor's stream to its end, where the usage is (OpenAI-
 * compatible: the `stream_options.include_usage` chunk; Anthropic: `message_delta` usage), then settles
 * that cost, charges the budget and logs the request with error `client_cancelled`. The drain is bounded
 * by the attempt timeout (policy `retry.timeoutMs`). If it fails (timeout, the vendor cuts it), the
 * request is charged as if the answer reached its output cap — the most the vendor can bill for it, and
 * what was reserved — with token source `estimate`. An abort before any text was sent still cancels the
 * upstream call at once (nothing to settle beyond a failed attempt).
 */
export class ClientCancelledError extends TollgateError {
  constructor(readonly model: string, readonly settledBy: 'vendor_usage' | 'output_cap_bound') {
    super('client_cancelled', `The client went away mid-stream; ${model}'s stream was ${settledBy === 'vendor_usage' ? 'read to its end and charged at the vendor usage' : 'lost and charged at its output cap'}`, { model, settledBy });
  }
}

/** The upstream signal of a streamed call and the state of the caller's cancellation. */
export interface StreamCancellation {
  /** Passed to the adapter: aborted by the caller only before any text was emitted. */
  signal: AbortSignal;
  /** Called when the first text reaches the caller. */
  markEmitted(): void;
  /** True once the caller aborted after text was emitted (deltas are dropped from then on). */
  readonly cancelled: boolean;
  /** Called once the streamed call has ended (every attempt settled): the upstream signal is not used again. */
  dispose(): void;
}

export function streamCancellation(caller?: AbortSignal): StreamCancellation {
  const upstream = leaseController(); // from the pool (engine/abort-pool.ts): handed back on dispose
  let emitted = false;
  let cancelled = false;
  const onAbort = () => {
    if (emitted) cancelled = true;
    else upstream.abort(caller!.reason);
  };
  if (caller?.aborted) onAbort();
  else caller?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: upstream.signal,
    markEmitted: () => {
      emitted = true;
    },
    get cancelled() {
      return cancelled;
    },
    dispose: () => {
      caller?.removeEventListener('abort', onAbort);
      releaseController(upstream);
    },
  };
}

/**
 * Streaming attempt: the first event must arrive for the attempt to count as started; after that,
 * deltas go straight to the caller (until it cancels) and a later failure ends the stream with a typed
 * error (a fallback cannot un-send text).
 */
export function streamAttempt(emit: (text: string, toolCalls?: ToolCallDelta[]) => void, cancel: StreamCancellation) {
  return async (adapter: ModelAdapter, input: ModelCallInput): Promise<ModelResponse> => {
    const it = adapter.stream(input)[Symbol.asyncIterator]();
    let emitted = false;
    try {
      let ev = await it.next();
      for (;;) {
        if (ev.done) throw new ProviderError('bad_response', input.model.id, `${input.model.id} stream ended without a final event`);
        if (ev.value.type === 'done') return ev.value.response;
        if (!cancel.cancelled) emit(ev.value.text, ev.value.toolCalls);
        if ((ev.value.text.length > 0 || ev.value.toolCalls?.length) && !emitted) {
          emitted = true;
          cancel.markEmitted();
        }
        ev = await it.next();
      }
    } catch (err) {
      throw emitted ? new StreamInterruptedError(input.model.id, err) : err;
    }
  };
}

/**
 * The answer charged when a cancelled stream's drain failed: the prompt as counted and the output cap on
 * the model that was streaming, with token source `estimate`.
 */
export function outputCapBound(outputCap: number, promptTokens: number | undefined): ModelResponse {
  return { text: '', usage: { inputTokens: promptTokens, outputTokens: outputCap }, usageSource: 'estimate', finishReason: 'client_cancelled' };
}
