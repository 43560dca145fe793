import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { CostAwareSampler, CostAwareSpanProcessor } from '../../../adapters/observers/otel-sampling.js';
import { createTollgate } from '../../../compose.js';
import { simPolicy } from '../../support/policies.js';

let provider: TracerProvider | undefined;
afterEach(async () => {
  await provider?.shutdown();
  trace.disable();
});

function install(ratio: number, o: { minCostUsd?: number; minDurationMs?: number } = {}): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  provider = new TracerProvider({
    sampler: new CostAwareSampler({ ratio }),
    spanProcessors: [new CostAwareSpanProcessor<ReadableSpan>(new SimpleSpanProcessor({ exporter }), o)],
  });
  trace.setGlobalTracerProvider(provider);
  return exporter;
}

// A fixed answer length: the simulated adapter otherwise draws one per request id (random), and a short draw
// for the second big request could put it under the threshold taken from the first.
const ask = (model: string, content: string) => ({ tenant: 'acme', model, messages: [{ role: 'user' as const, content }], simulation: { outputTokens: 200 } });

describe('sample by cost or length', () => {
  it('keeps every expensive request and drops the cheap ones that were not head-sampled', async () => {
    const tg = createTollgate({ policy: simPolicy() });
    // Find the two costs first (no SDK yet), then keep anything at least half as dear as the big model's
    // (the cheap ones stay ten times below that).
    const cheap = (await tg.complete(ask('local', 'hi'))).record.cost.full;
    const dear = (await tg.complete(ask('big', 'explain '.repeat(400)))).record.cost.full;
    expect(dear).toBeGreaterThan(10 * cheap);
    const exporter = install(0, { minCostUsd: dear / 2 / 1e6 });
    for (let i = 0; i < 5; i++) await tg.complete(ask('local', `hi ${i}`));
    await tg.complete(ask('big', 'explain '.repeat(400)));
    const kept = exporter.getFinishedSpans();
    expect(kept.map((s) => s.attributes['gen_ai.response.model'])).toEqual(['big']);
    expect(kept[0]!.spanContext().traceFlags & 1).toBe(1);
  });

  it('keeps every head-sampled request at ratio 1', async () => {
    const exporter = install(1, { minCostUsd: 1e9 });
    const tg = createTollgate({ policy: simPolicy() });
    for (let i = 0; i < 4; i++) await tg.complete(ask('local', `hi ${i}`));
    expect(exporter.getFinishedSpans()).toHaveLength(4);
  });

  it('keeps long and failed spans, drops short cheap ones (span times set explicitly)', () => {
    const exporter = install(0, { minDurationMs: 10_000 });
    const tracer = trace.getTracer('t');
    const start = Date.UTC(2030, 0, 1);
    tracer.startSpan('long', { startTime: start }).end(start + 20_000);
    tracer.startSpan('short', { startTime: start }).end(start + 1_000);
    const failed = tracer.startSpan('failed', { startTime: start });
    failed.setStatus({ code: 2 });
    failed.end(start + 5);
    expect(exporter.getFinishedSpans().map((s) => s.name).sort()).toEqual(['failed', 'long']);
  });

  it('head-samples about `ratio` of root spans, deterministically by trace id', () => {
    const sampler = new CostAwareSampler({ ratio: 0.25 });
    const ids = Array.from({ length: 4000 }, () => randomBytes(16).toString('hex'));
    const decide = (id: string) => sampler.shouldSample(ROOT_CONTEXT, id).decision;
    const sampled = ids.filter((id) => decide(id) === 2);
    expect(sampled.length / ids.length).toBeGreaterThan(0.2);
    expect(sampled.length / ids.length).toBeLessThan(0.3);
    expect(ids.map(decide)).toEqual(ids.map(decide));
    // The rest are recorded (not dropped), so the processor can still keep them by cost or length.
    expect(new Set(ids.map(decide))).toEqual(new Set([1, 2]));
  });
});
