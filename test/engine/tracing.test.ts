import { AsyncLocalStorage } from 'node:async_hooks';
import { context, metrics, ROOT_CONTEXT, SpanKind, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTollgate } from '../../compose.js';
import { decisionRecordSchema } from '../../engine/decision-record.js';
import { BudgetExceededError } from '../../engine/errors.js';
import {
  answerExtras,
  decisionAttributes,
  genAiProviderName,
  genAiRequestAttributes,
  genAiSpanName,
  OPERATION_DURATION_BUCKETS,
  recordDecisionOnSpan,
  TOKEN_USAGE_BUCKETS,
  withRequestSpan,
} from '../../engine/tracing.js';
import { simPolicy } from '../support/policies.js';

/** The SDK's AsyncLocalStorage context manager, in miniature (so the active span is visible inside). */
class AlsContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.als.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

let spans: InMemorySpanExporter;
let provider: TracerProvider;

function installSdk(): void {
  spans = new InMemorySpanExporter();
  provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AlsContextManager());
}

afterEach(async () => {
  await provider?.shutdown();
  trace.disable();
  context.disable();
  metrics.disable();
});

const rec = decisionRecordSchema.parse({
  v: 1,
  time: '2030-01-01T00:00:00Z',
  requestId: 'r1',
  tenant: 'acme',
  policy: { name: 'p', version: 'abc' },
  rule: 'cheap',
  chosen: 'gpt-4o-mini',
  model: 'gpt-4o-mini',
  tier: 'vendor',
  tokens: { input: 120, output: 30, cached: 40, source: 'vendor' },
  cost: { vendor: 90, infra: 0, ops: 9, full: 99 },
  latencyMs: 5,
  outcome: 'ok',
  actions: ['downgrade:distilled'],
});

describe('withRequestSpan without an SDK', () => {
  it('is a no-op: runs the function and returns its value', async () => {
    const out = await withRequestSpan('chat gpt-4o', { 'gen_ai.request.model': 'gpt-4o' }, (span) => {
      expect(span.isRecording()).toBe(false);
      recordDecisionOnSpan(span, rec);
      return 42;
    });
    expect(out).toBe(42);
  });
});

describe('GenAI spans through the OpenTelemetry SDK (in-memory exporter)', () => {
  beforeEach(installSdk);

  it('records the semantic-convention attributes and the proposed cost attributes on an active CLIENT span', async () => {
    const req = { model: 'gpt-4o-mini', provider: 'openai', maxTokens: 256, tenant: 'acme', requestId: 'r1' };
    await withRequestSpan(genAiSpanName(req), genAiRequestAttributes(req), async (span) => {
      expect(trace.getSpan(context.active())).toBe(span);
      recordDecisionOnSpan(span, rec, { cacheWriteTokens: 8, reasoningTokens: 12, provider: 'openai' });
    });
    const [s, ...rest] = spans.getFinishedSpans();
    expect(rest).toEqual([]);
    expect(s!.name).toBe('chat gpt-4o-mini');
    expect(s!.kind).toBe(SpanKind.CLIENT);
    expect(s!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 256,
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.cache_read.input_tokens': 40,
      'gen_ai.usage.cache_creation.input_tokens': 8,
      'gen_ai.usage.reasoning.output_tokens': 12,
      'gen_ai.usage.cost.amount': 0.000099,
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.usage.cost.source': 'local',
      'tollgate.cost.full_microdollars': 99,
      'tollgate.cost.vendor_microdollars': 90,
      'tollgate.cost.ops_microdollars': 9,
      'tollgate.actions': ['downgrade:distilled'],
    });
  });

  it('records a thrown typed error (error.type = its code, status ERROR, exception event) and rethrows it', async () => {
    const err = new BudgetExceededError('acme', 10, 0);
    await expect(withRequestSpan('chat x', {}, () => Promise.reject(err))).rejects.toBe(err);
    const [s] = spans.getFinishedSpans();
    expect(s!.attributes['error.type']).toBe('budget_exceeded');
    expect(s!.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(s!.events[0]!.name).toBe('exception');
  });

  it('the engine emits one span per request with the settled record on it', async () => {
    const tg = createTollgate({ policy: simPolicy() });
    const out = await tg.complete({ tenant: 'acme', model: 'mini', messages: [{ role: 'user', content: 'hello there' }] });
    const [s] = spans.getFinishedSpans();
    expect(s!.name).toBe('chat mini');
    expect(s!.attributes).toMatchObject({
      'gen_ai.provider.name': 'tollgate.simulated',
      'gen_ai.request.model': 'mini',
      'gen_ai.response.model': 'mini',
      'gen_ai.usage.input_tokens': out.record.tokens.input,
      'gen_ai.usage.output_tokens': out.record.tokens.output,
      'gen_ai.usage.cost.amount': out.record.cost.full / 1e6,
      'tollgate.tenant': 'acme',
      'tollgate.request_id': out.record.requestId,
    });
  });
});

describe('GenAI metrics through the OpenTelemetry SDK (in-memory exporter)', () => {
  it('records gen_ai.client.token.usage per token type and gen_ai.client.operation.duration, with the advised buckets', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meters = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(meters);
    const tg = createTollgate({ policy: simPolicy() });
    const records = [];
    for (let i = 0; i < 3; i++) records.push((await tg.complete({ tenant: 'acme', model: 'mini', messages: [{ role: 'user', content: `question ${i}` }] })).record);
    await reader.forceFlush();
    const all = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const usage = all.find((m) => m.descriptor.name === 'gen_ai.client.token.usage') as HistogramMetricData;
    const duration = all.find((m) => m.descriptor.name === 'gen_ai.client.operation.duration') as HistogramMetricData;
    expect(usage.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(usage.descriptor.unit).toBe('{token}');
    expect(duration.descriptor.unit).toBe('s');
    const point = (type: string) => usage.dataPoints.find((p) => p.attributes['gen_ai.token.type'] === type)!;
    expect(point('input').attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'tollgate.simulated', 'gen_ai.request.model': 'mini', 'gen_ai.response.model': 'mini' });
    expect(point('input').value.count).toBe(3);
    expect(point('input').value.sum).toBe(records.reduce((s, r) => s + r.tokens.input, 0));
    expect(point('output').value.sum).toBe(records.reduce((s, r) => s + r.tokens.output, 0));
    expect(point('input').value.buckets.boundaries).toEqual(TOKEN_USAGE_BUCKETS);
    expect(duration.dataPoints[0]!.value.count).toBe(3);
    expect(duration.dataPoints[0]!.value.buckets.boundaries).toEqual(OPERATION_DURATION_BUCKETS);
    await meters.shutdown();
  });
});

describe('provider names and extras', () => {
  it('maps policy adapters to gen_ai.provider.name', () => {
    expect(genAiProviderName({ adapter: 'anthropic' })).toBe('anthropic');
    expect(genAiProviderName({ adapter: 'openai-compatible' })).toBe('openai');
    expect(genAiProviderName({ adapter: 'openai-compatible', endpoint: 'https://api.openai.com/v1' })).toBe('openai');
    expect(genAiProviderName({ adapter: 'openai-compatible', endpoint: 'https://x.openai.azure.com/openai' })).toBe('azure.ai.openai');
    expect(genAiProviderName({ adapter: 'openai-compatible', endpoint: 'http://vllm:8000/v1' })).toBe('openai_compatible');
  });

  it('takes cache writes and reasoning tokens from the answer when the adapter reported them', () => {
    const extras = answerExtras({ answer: { model: { spec: { adapter: 'anthropic' } }, response: { usage: { cacheWriteTokens: 5 } } } });
    expect(extras).toEqual({ provider: 'anthropic', cacheWriteTokens: 5, reasoningTokens: undefined });
    expect(decisionAttributes(rec, extras)['gen_ai.usage.cache_creation.input_tokens']).toBe(5);
    expect('gen_ai.usage.reasoning.output_tokens' in decisionAttributes(rec, extras)).toBe(false);
  });
});
