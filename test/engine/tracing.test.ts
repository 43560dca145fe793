import { AsyncLocalStorage } from 'node:async_hooks';
import { context, ROOT_CONTEXT, trace, type Attributes, type Context, type ContextManager, type AttributeValue, type Span, type SpanContext, type SpanOptions, type SpanStatus, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { decisionRecordSchema } from '../../engine/decision-record.js';
import { BudgetExceededError } from '../../engine/errors.js';
import { genAiRequestAttributes, genAiSpanName, recordDecisionOnSpan, withRequestSpan } from '../../engine/tracing.js';

/** A minimal recording tracer (no SDK is installed): enough to observe what Tollgate puts on spans. */
class RecordedSpan {
  attributes: Attributes = {};
  status: SpanStatus = { code: 0 };
  events: string[] = [];
  ended = false;
  constructor(readonly name: string, readonly options: SpanOptions) {
    Object.assign(this.attributes, options.attributes);
  }
  spanContext(): SpanContext {
    return { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
  }
  setAttribute(k: string, v: AttributeValue): this {
    this.attributes[k] = v;
    return this;
  }
  setAttributes(a: Attributes): this {
    Object.assign(this.attributes, a);
    return this;
  }
  addEvent(name: string): this {
    this.events.push(name);
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(s: SpanStatus): this {
    this.status = s;
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {
    this.ended = true;
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(e: Error): void {
    this.events.push(`exception:${e.message}`);
  }
}

function recordingProvider(spans: RecordedSpan[]): TracerProvider {
  const tracer = {
    startSpan(name: string, options: SpanOptions = {}) {
      const s = new RecordedSpan(name, options);
      spans.push(s);
      return s as unknown as Span;
    },
  } as unknown as Tracer;
  return { getTracer: () => tracer };
}

/** The SDK's AsyncLocalStorage context manager, in miniature. */
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

afterEach(() => {
  trace.disable();
  context.disable();
});

const rec = decisionRecordSchema.parse({
  v: 1,
  time: '2030-01-01T00:00:00Z',
  requestId: 'r1',
  tenant: 'acme',
  policy: { name: 'p', version: 'abc' },
  rule: 'cheap',
  model: 'gpt-4o-mini',
  tier: 'vendor',
  tokens: { input: 120, output: 30, cached: 0, source: 'vendor' },
  cost: { vendor: 90, infra: 0, ops: 9, full: 99 },
  latencyMs: 5,
  outcome: 'ok',
  actions: ['downgrade:distilled'],
});

describe('withRequestSpan', () => {
  it('is a no-op without an SDK: runs the function and returns its value', async () => {
    const out = await withRequestSpan('chat gpt-4o', { 'gen_ai.request.model': 'gpt-4o' }, (span) => {
      expect(span.isRecording()).toBe(false);
      recordDecisionOnSpan(span, rec);
      return 42;
    });
    expect(out).toBe(42);
  });

  it('records GenAI semantic-convention attributes on an active CLIENT span', async () => {
    const spans: RecordedSpan[] = [];
    trace.setGlobalTracerProvider(recordingProvider(spans));
    context.setGlobalContextManager(new AlsContextManager());
    const req = { model: 'gpt-4o-mini', provider: 'openai', maxTokens: 256, tenant: 'acme', requestId: 'r1' };
    await withRequestSpan(genAiSpanName(req), genAiRequestAttributes(req), async (span) => {
      expect(trace.getSpan(context.active())).toBe(span);
      recordDecisionOnSpan(span, rec);
    });
    expect(spans).toHaveLength(1);
    const s = spans[0]!;
    expect(s.name).toBe('chat gpt-4o-mini');
    expect(s.options.kind).toBe(2); // SpanKind.CLIENT
    expect(s.ended).toBe(true);
    expect(s.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.max_tokens': 256,
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'tollgate.cost.full_microdollars': 99,
      'tollgate.actions': ['downgrade:distilled'],
    });
  });

  it('records a thrown typed error (error.type = its code, status ERROR) and rethrows it', async () => {
    const spans: RecordedSpan[] = [];
    trace.setGlobalTracerProvider(recordingProvider(spans));
    const err = new BudgetExceededError('acme', 10, 0);
    await expect(withRequestSpan('chat x', {}, () => Promise.reject(err))).rejects.toBe(err);
    expect(spans[0]!.attributes['error.type']).toBe('budget_exceeded');
    expect(spans[0]!.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(spans[0]!.events[0]).toMatch(/^exception:/);
    expect(spans[0]!.ended).toBe(true);
  });
});
