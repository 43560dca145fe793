import { createHash } from 'node:crypto';
import { ProviderError } from '../engine/errors.js';
import type { ModelAdapter, ModelCallInput, ModelResponse, StreamEvent } from '../engine/seams/model-adapter.js';
import { countChatTokens } from '../engine/tokens.js';

/**
 * A model that answers without a network: deterministic output length, latency, quality and failures
 * from a seed, the model id and the request. Used for simulations, benchmarks and tests.
 * - Output tokens: the trace's actual output tokens when known, else a log-normal draw (median 200)
 *   capped at `maxOutputTokens`.
 * - Quality: the trace's observed label for this model when known, else 1 with probability
 *   `model.quality` and 0 otherwise.
 * - Latency: `model.simulate.latencyMs` (0 by default: no timer at all).
 * - Failures: `model.simulate.failureRate` of calls throw a `server_error` ProviderError.
 */
export class SimulatedAdapter implements ModelAdapter {
  readonly kind = 'simulated';
  constructor(private readonly seed = 1) {}

  async call(input: ModelCallInput): Promise<ModelResponse> {
    const sim = input.model.simulate;
    const u = this.uniforms(input);
    if (sim && sim.latencyMs > 0) await sleep(sim.latencyMs, input.signal, input.model.id);
    if (sim && u[2] < sim.failureRate) throw new ProviderError('server_error', input.model.id, `simulated failure of ${input.model.id}`, 500);
    const hint = input.simulation;
    const outputTokens = Math.min(hint?.outputTokens ?? Math.round(200 * Math.exp(0.8 * gaussian(u[0], u[1]))), input.maxOutputTokens);
    const inputTokens = hint?.promptTokens ?? countChatTokens(input.messages, input.model.encoding);
    const label = hint?.labels?.[input.model.id];
    const quality = label ?? (u[3] < input.model.quality ? 1 : 0);
    return {
      text: `[${input.model.id}] simulated answer of ${outputTokens} tokens`,
      usage: { inputTokens, outputTokens, cachedInputTokens: 0 },
      usageSource: 'vendor',
      finishReason: outputTokens >= input.maxOutputTokens ? 'length' : 'stop',
      quality,
    };
  }

  async *stream(input: ModelCallInput): AsyncIterable<StreamEvent> {
    const response = await this.call(input);
    const words = response.text.split(/(?<= )/);
    for (const w of words) yield { type: 'delta', text: w };
    yield { type: 'done', response };
  }

  /** Four uniforms in [0, 1) from (seed, model, request). */
  private uniforms(input: ModelCallInput): number[] {
    const h = createHash('sha256').update(`${this.seed}\0${input.model.id}\0${input.requestId}`).digest();
    return [0, 4, 8, 12].map((o) => h.readUInt32BE(o) / 0x1_0000_0000);
  }
}

function gaussian(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
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
