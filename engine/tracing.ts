import { context, createNoopMeter, isSpanContextValid, metrics, SpanKind, SpanStatusCode, trace, type Attributes, type Histogram, type Meter, type Span } from '@opentelemetry/api';
import type { DecisionRecord } from './decision-record.js';

/**
 * OpenTelemetry spans and metrics for Tollgate requests, following the GenAI semantic conventions
 * (`gen_ai.*`, https://opentelemetry.io/docs/specs/semconv/gen-ai/). Uses only `@opentelemetry/api`: when
 * the application registers no SDK, every span is a no-op (non-recording) and every instrument a no-op.
 * Tollgate-specific facts go under `tollgate.*`.
 *
 * Cost has no convention yet. Tollgate writes the attributes proposed in
 * open-telemetry/semantic-conventions-genai#443 (a proposal, not a standard; names may change):
 * `gen_ai.usage.cost.amount` (full cost, USD, a double), `gen_ai.usage.cost.currency` (`USD`) and
 * `gen_ai.usage.cost.source` (`local`: Tollgate computed it from token counts and its price catalog),
 * plus the split as `tollgate.cost.{vendor,infra,ops,full}_microdollars` (integers, exact).
 */
export const TRACER_NAME = 'tollgate';
export const METER_NAME = 'tollgate';

export interface GenAiRequest {
  /** `gen_ai.request.model`: the model Tollgate chose. */
  model: string;
  /** `gen_ai.provider.name` (e.g. `openai`, `anthropic`, or the adapter for self-hosted tiers). */
  provider?: string;
  /** `gen_ai.operation.name`; default `chat`. */
  operation?: string;
  maxTokens?: number;
  tenant?: string;
  requestId?: string;
}

/** Usage parts the decision record does not keep (the adapter's raw usage), when known. */
export interface UsageExtras {
  /** `gen_ai.usage.cache_creation.input_tokens`: prompt tokens written to the vendor's prompt cache. */
  cacheWriteTokens?: number;
  /** `gen_ai.usage.reasoning.output_tokens`: output tokens spent on reasoning. */
  reasoningTokens?: number;
  /** `gen_ai.provider.name` of the model that answered. */
  provider?: string;
}

/** Span name per the GenAI conventions: `{operation} {model}`, e.g. `chat gpt-4o-mini`. */
export function genAiSpanName(req: GenAiRequest): string {
  return `${req.operation ?? 'chat'} ${req.model}`;
}

/**
 * `gen_ai.provider.name` for a policy model: the conventions' well-known values where they apply
 * (`openai`, `anthropic`, `azure.ai.openai`), `openai_compatible` for a self-hosted OpenAI-compatible
 * server (vLLM, TGI, Ollama), `tollgate.simulated` for the simulator.
 */
export function genAiProviderName(model: { adapter: string; endpoint?: string }): string {
  if (model.adapter === 'anthropic') return 'anthropic';
  if (model.adapter === 'simulated') return 'tollgate.simulated';
  const host = model.endpoint ? safeHost(model.endpoint) : 'api.openai.com';
  if (host.endsWith('openai.azure.com')) return 'azure.ai.openai';
  return host === 'api.openai.com' ? 'openai' : 'openai_compatible';
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/** Request-side attributes of a GenAI client span. */
export function genAiRequestAttributes(req: GenAiRequest): Attributes {
  const a: Attributes = { 'gen_ai.operation.name': req.operation ?? 'chat', 'gen_ai.request.model': req.model };
  if (req.provider !== undefined) a['gen_ai.provider.name'] = req.provider;
  if (req.maxTokens !== undefined) a['gen_ai.request.max_tokens'] = req.maxTokens;
  if (req.tenant !== undefined) a['tollgate.tenant'] = req.tenant;
  if (req.requestId !== undefined) a['tollgate.request_id'] = req.requestId;
  return a;
}

/** Response-side attributes from the settled decision record (usage, model, cost, outcome). */
export function decisionAttributes(r: DecisionRecord, extras: UsageExtras = {}): Attributes {
  const a: Attributes = {
    'gen_ai.usage.input_tokens': r.tokens.input,
    'gen_ai.usage.output_tokens': r.tokens.output,
    'gen_ai.usage.cache_read.input_tokens': r.tokens.cached,
    'gen_ai.usage.cost.amount': r.cost.full / 1_000_000,
    'gen_ai.usage.cost.currency': 'USD',
    'gen_ai.usage.cost.source': 'local',
    'tollgate.tokens.source': r.tokens.source,
    'tollgate.cost.full_microdollars': r.cost.full,
    'tollgate.cost.vendor_microdollars': r.cost.vendor,
    'tollgate.cost.infra_microdollars': r.cost.infra,
    'tollgate.cost.ops_microdollars': r.cost.ops,
    'tollgate.outcome': r.outcome,
    'tollgate.policy.version': r.policy.version,
  };
  if (extras.cacheWriteTokens !== undefined) a['gen_ai.usage.cache_creation.input_tokens'] = extras.cacheWriteTokens;
  if (extras.reasoningTokens !== undefined) a['gen_ai.usage.reasoning.output_tokens'] = extras.reasoningTokens;
  if (extras.provider !== undefined) a['gen_ai.provider.name'] = extras.provider;
  if (r.model !== undefined) a['gen_ai.response.model'] = r.model;
  if (r.tier !== undefined) a['tollgate.tier'] = r.tier;
  if (r.rule !== undefined) a['tollgate.rule'] = r.rule;
  if (r.cache) a['tollgate.cache.hit'] = r.cache.hit;
  if (r.fallbacks.length > 0) a['tollgate.fallbacks'] = r.fallbacks.map((f) => f.model);
  if (r.actions?.length) a['tollgate.actions'] = r.actions;
  if (r.error) a['error.type'] = r.error.code;
  return a;
}

/** Bucket boundaries the GenAI metric conventions recommend. */
export const TOKEN_USAGE_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
export const OPERATION_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

let instruments: { meter: Meter; tokens: Histogram; duration: Histogram } | undefined;

/** The API's no-op meter (what `getMeter` returns while no SDK is registered): then there is nothing to record. */
const NOOP_METER = createNoopMeter();

function genAiInstruments(): { tokens: Histogram; duration: Histogram } | undefined {
  const meter = metrics.getMeter(METER_NAME);
  if (meter === NOOP_METER) return undefined;
  if (instruments?.meter !== meter) {
    instruments = {
      meter,
      tokens: meter.createHistogram('gen_ai.client.token.usage', { description: 'Number of input and output tokens used.', unit: '{token}', advice: { explicitBucketBoundaries: TOKEN_USAGE_BUCKETS } }),
      duration: meter.createHistogram('gen_ai.client.operation.duration', { description: 'GenAI operation duration.', unit: 's', advice: { explicitBucketBoundaries: OPERATION_DURATION_BUCKETS } }),
    };
  }
  return instruments;
}

/**
 * Records `gen_ai.client.token.usage` (one point per token type, `gen_ai.token.type` = `input`/`output`)
 * and `gen_ai.client.operation.duration` for a request that reached a model or the cache (a refused
 * request made no GenAI call and records nothing). With no SDK registered both are no-ops.
 */
export function recordGenAiMetrics(r: DecisionRecord, extras: UsageExtras = {}): void {
  if (r.outcome === 'refused') return;
  const inst = genAiInstruments();
  if (!inst) return; // no SDK: skip building the attributes
  const { tokens, duration } = inst;
  const attrs: Attributes = { 'gen_ai.operation.name': 'chat' };
  if (r.chosen !== undefined) attrs['gen_ai.request.model'] = r.chosen;
  if (r.model !== undefined) attrs['gen_ai.response.model'] = r.model;
  if (extras.provider !== undefined) attrs['gen_ai.provider.name'] = extras.provider;
  if (r.error) attrs['error.type'] = r.error.code;
  duration.record(r.latencyMs / 1000, attrs);
  if (r.error) return;
  tokens.record(r.tokens.input, { ...attrs, 'gen_ai.token.type': 'input' });
  tokens.record(r.tokens.output, { ...attrs, 'gen_ai.token.type': 'output' });
}

/** Adds a settled record to a span (marking it failed when the request failed) and records the GenAI metrics. */
export function recordDecisionOnSpan(span: Span, r: DecisionRecord, extras: UsageExtras = {}): void {
  recordGenAiMetrics(r, extras);
  if (!span.isRecording()) return;
  span.setAttributes(decisionAttributes(r, extras));
  if (r.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: r.error?.code });
}

/**
 * Runs `fn` inside an active CLIENT span named `name` with `attrs`, ending it afterwards. A thrown
 * error is recorded on the span (exception event, `error.type` = its `code` or name, status ERROR) and
 * rethrown. With no SDK registered the span is a no-op.
 */
export async function withRequestSpan<T>(name: string, attrs: Attributes, fn: (span: Span) => Promise<T> | T): Promise<T> {
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { kind: SpanKind.CLIENT, attributes: attrs });
  try {
    // A span without a valid context (no SDK registered) is not made the active one: nothing could read it,
    // and the context it would need costs an allocation per request.
    if (!isSpanContextValid(span.spanContext())) return await fn(span);
    return await context.with(trace.setSpan(context.active(), span), () => fn(span));
  } catch (err) {
    if (span.isRecording()) {
      const e = err instanceof Error ? err : new Error(String(err));
      span.recordException(e);
      span.setAttribute('error.type', (err as { code?: unknown }).code !== undefined ? String((err as { code: unknown }).code) : e.name);
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
    }
    throw err;
  } finally {
    span.end();
  }
}

/** The usage extras and provider of a request's answer (the engine's request context), when it has one. */
export function answerExtras(ctx: {
  answer?: { model: { spec: { adapter: string; endpoint?: string } }; response: { usage: { cacheWriteTokens?: number; reasoningTokens?: number } } };
}): UsageExtras {
  const a = ctx.answer;
  if (!a) return {};
  const u = a.response.usage;
  return { provider: genAiProviderName(a.model.spec), cacheWriteTokens: u.cacheWriteTokens, reasoningTokens: u.reasoningTokens };
}
