import { createTollgate } from '../index.js';
import { NullDecisionSink } from '../index.js';
import { RulesClassifier } from '../index.js';
import { decide } from '../index.js';
import type { ModelAdapter, ModelCallInput, ModelResponse, StreamEvent } from '../index.js';
import { resolvePolicy } from '../index.js';
import { printTable, summarize, timeAsync, timeSync, writeResult } from './stats.js';
import { validateRequest } from '../index.js';
import { countChatTokens, textMessages, textOf } from '../index.js';

/** An adapter that answers at once with a fixed response: isolates the engine's own overhead. */
class ZeroLatencyAdapter implements ModelAdapter {
  readonly kind = 'simulated';
  private readonly response: ModelResponse = {
    text: 'ok',
    usage: { inputTokens: 40, outputTokens: 20, cachedInputTokens: 0 },
    usageSource: 'vendor',
    finishReason: 'stop',
  };
  async call(_input: ModelCallInput): Promise<ModelResponse> {
    return this.response;
  }
  async *stream(): AsyncIterable<StreamEvent> {
    yield { type: 'done', response: this.response };
  }
}

const POLICY = resolvePolicy({
  name: 'bench',
  models: [
    { id: 'local', tier: 'local-gpu', adapter: 'simulated', contextWindow: 32768, infra: { gpuHourlyUsd: 2.5, gpus: 1, tokensPerSecond: 2400 }, quality: 0.66, taskQuality: { chat: 0.82 } },
    { id: 'distil', tier: 'distilled', adapter: 'simulated', contextWindow: 8192, infra: { gpuHourlyUsd: 0.8, gpus: 1, tokensPerSecond: 6000 }, quality: 0.6 },
    { id: 'mini', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, prices: { inputPerM: 0.15, outputPerM: 0.6 }, quality: 0.8 },
    { id: 'big', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, prices: { inputPerM: 2.5, outputPerM: 10 }, quality: 0.92 },
  ],
  rules: [
    { name: 'hard', when: { tasks: ['code', 'math'], complexity: { min: 0.5 } }, models: ['mini', 'big'], qualityFloor: 0.78 },
    { name: 'vip', when: { tenants: ['vip'] }, qualityFloor: 0.9 },
    { name: 'rest', qualityFloor: 0.72 },
  ],
  fallbacks: { local: ['mini'], mini: ['big'] },
});

/** Bench for issue 3: decide() and the engine's per-request overhead. */
export async function runCoreBench(outDir: string): Promise<Record<string, unknown>> {
  const adapter = new ZeroLatencyAdapter();
  const tg = createTollgate({ policy: POLICY, adapters: { simulated: adapter }, decisionLog: new NullDecisionSink() });
  const request = { tenant: 'acme', messages: [{ role: 'user' as const, content: 'Summarize the attached meeting notes in five bullet points.' }], maxOutputTokens: 256 };

  // Pure rules-only decide(): facts and classification prepared as the engine prepares them.
  const valid = validateRequest(request);
  const prompt = countChatTokens(textMessages(valid.messages));
  const classification = new RulesClassifier().classify({ request: valid, text: textOf(valid.messages[0]!), promptTokens: prompt }, POLICY.policy.models);
  const facts = { tenant: 'acme', tags: [], promptTokens: new Map([['o200k_base' as const, prompt]]) };
  const decideUs = summarize(timeSync(50_000, 5_000, () => decide(tg.policy, facts, classification)));
  const classifier = new RulesClassifier(); // one per engine, as createTollgate builds it (its constructor compiles the rules)
  const classifyDecideUs = summarize(
    timeSync(20_000, 2_000, () => {
      const c = classifier.classify({ request: valid, text: textOf(valid.messages[0]!), promptTokens: prompt }, POLICY.policy.models);
      return decide(tg.policy, facts, c);
    }),
  );

  // Full complete() through the engine vs calling the same adapter directly (same run, interleaved blocks).
  const model = POLICY.policy.models[0]!;
  const direct: number[] = [];
  const engine: number[] = [];
  for (let block = 0; block < 10; block++) {
    direct.push(...(await timeAsync(500, 50, () => adapter.call({ model, messages: valid.messages, maxOutputTokens: 256, requestId: 'x', signal: AbortSignal.timeout(30_000) }))));
    engine.push(...(await timeAsync(500, 50, () => tg.complete(request))));
  }
  // CPU per complete() (robust to a busy machine, where wall-clock percentiles mostly measure the scheduler).
  const c0 = process.cpuUsage();
  for (let i = 0; i < 5000; i++) await tg.complete(request);
  const c1 = process.cpuUsage(c0);
  const cpuUsPerComplete = round((c1.user + c1.system) / 5000);
  const directUs = summarize(direct);
  const engineUs = summarize(engine);
  const overhead = { p50: round(engineUs.p50 - directUs.p50), p99: round(engineUs.p99 - directUs.p99) };

  printTable('core: decide() and engine overhead (µs)', [
    { measure: 'decide() rules-only', ...fmt(decideUs), target: 'p50 ≤ 20, p99 ≤ 100' },
    { measure: 'classify + decide()', ...fmt(classifyDecideUs), target: '' },
    { measure: 'adapter.call() direct', ...fmt(directUs), target: '' },
    { measure: 'tollgate.complete()', ...fmt(engineUs), target: '' },
    { measure: 'engine overhead', n: '', p50: overhead.p50, p90: '', p99: overhead.p99, target: 'p50 ≤ 50 (#17)' },
    { measure: 'CPU per complete()', n: 5000, p50: cpuUsPerComplete, p90: '', p99: '', target: '' },
  ]);
  const result = { decideUs, classifyDecideUs, directUs, engineUs, overheadUs: overhead, cpuUsPerComplete, targetOverheadP50Us: 50 };
  writeResult(outDir, 'core', result);
  return result;
}

const fmt = (s: ReturnType<typeof summarize>) => ({ n: s.n, p50: s.p50, p90: s.p90, p99: s.p99 });
const round = (x: number) => Math.round(x * 100) / 100;
