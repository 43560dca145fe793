import { ProviderError } from '../engine/errors.js';
import type { ModelAdapter, ModelCallInput, ModelResponse, StreamEvent } from '../engine/seams/model-adapter.js';
import { promptChars } from '../engine/prompt-size.js';
import { countPromptOffThread, OFF_THREAD_CHARS } from '../engine/token-pool.js';
import { countChatTokens } from '../engine/tokens.js';
import { textMessages } from '../engine/message-tokens.js';
import { drawOutputTokens, drawPrefix, drawQuality, drawUniforms } from './simulated-draws.js';

/** The part of a simulated answer that settlement reads ({@link SimulatedAdapter.usageSync}). */
export type SimulatedUsage = Pick<ModelResponse, 'usage' | 'usageSource' | 'quality'> & { usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number } };

/**
 * A model that answers without a network: deterministic output length, latency, quality and failures
 * from a seed, the model id and the request id (draws in `simulated-draws.ts`, shared with the
 * simulator's fast replay). Used for simulations, benchmarks and tests.
 * - Output tokens: the trace's actual output tokens when known, else a log-normal draw (median 200)
 *   capped at `maxOutputTokens`.
 * - Quality: the trace's observed label for this model when known, else 1 with probability
 *   `model.quality` and 0 otherwise.
 * - Latency: `model.simulate.latencyMs` (0 by default: no timer at all).
 * - Failures: `model.simulate.failureRate` of calls throw a `server_error` ProviderError.
 */
export class SimulatedAdapter implements ModelAdapter {
  /** The seam specification this implementation was written against (engine/seams/specification.ts). */
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'simulated';
  private readonly prefixes = new Map<string, number>();
  private readonly u = [0, 0, 0, 0];

  constructor(private readonly seed = 1) {}

  async call(input: ModelCallInput): Promise<ModelResponse> {
    const sim = input.model.simulate;
    if (sim && sim.latencyMs > 0) await sleep(sim.latencyMs, input.signal, input.model.id);
    if (input.simulation?.promptTokens === undefined) {
      // A large prompt is counted on the token worker, as the engine counts it, not on the event loop.
      const messages = textMessages(input.messages);
      const chars = promptChars(messages);
      if (chars >= OFF_THREAD_CHARS) {
        const counted = await countPromptOffThread(messages, [input.model.encoding], chars);
        return this.callSync({ ...input, simulation: { ...input.simulation, promptTokens: counted.get(input.model.encoding)! } });
      }
    }
    return this.callSync(input);
  }

  /**
   * {@link call} without the promise and without the model's simulated latency (which only `call`
   * waits for): the same answer, or the same simulated failure thrown. For synchronous replays of
   * models without latency (the simulator's fast replay); no signal is read.
   */
  callSync(input: Omit<ModelCallInput, 'signal'>): ModelResponse {
    const { usage, usageSource, quality } = this.usageSync(input);
    const outputTokens = usage.outputTokens;
    return {
      text: `[${input.model.id}] simulated answer of ${outputTokens} tokens`,
      usage,
      usageSource,
      finishReason: outputTokens >= input.maxOutputTokens ? 'length' : 'stop',
      quality,
    };
  }

  /**
   * What settlement reads of {@link callSync}'s answer (its usage, the usage's source and the quality),
   * without the text and finish reason nobody reads in a replay that only settles (the simulator's
   * fast replay): the same draws, or the same simulated failure thrown.
   */
  usageSync(input: Omit<ModelCallInput, 'signal'>): SimulatedUsage {
    const sim = input.model.simulate;
    const u = drawUniforms(this.prefix(input.model.id), input.requestId, this.u);
    if (sim && u[2]! < sim.failureRate) throw new ProviderError('server_error', input.model.id, `simulated failure of ${input.model.id}`, 500);
    const hint = input.simulation;
    const outputTokens = drawOutputTokens(u, hint, input.maxOutputTokens);
    const inputTokens = hint?.promptTokens ?? countChatTokens(textMessages(input.messages), input.model.encoding);
    const quality = drawQuality(u, hint, input.model.id, input.model.quality);
    return { usage: { inputTokens, outputTokens, cachedInputTokens: 0 }, usageSource: 'vendor', quality };
  }

  async *stream(input: ModelCallInput): AsyncIterable<StreamEvent> {
    const response = await this.call(input);
    const words = response.text.split(/(?<= )/);
    for (const w of words) yield { type: 'delta', text: w };
    yield { type: 'done', response };
  }

  /** The draw prefix of (seed, model), computed once per model id. */
  private prefix(model: string): number {
    let p = this.prefixes.get(model);
    if (p === undefined) {
      if (this.prefixes.size >= 1_024) this.prefixes.clear(); // bounded for adapters serving many model ids
      this.prefixes.set(model, (p = drawPrefix(this.seed, model)));
    }
    return p;
  }
}

function sleep(ms: number, signal: AbortSignal, model: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ProviderError('timeout', model, `${model} timed out`));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new ProviderError('timeout', model, `${model} timed out`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
