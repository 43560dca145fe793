import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { DecisionRecord } from './decision-record.js';

/**
 * OpenTelemetry spans for Tollgate requests, following the GenAI semantic conventions (`gen_ai.*`).
 * Uses only `@opentelemetry/api`: when the application registers no SDK, every span is a no-op
 * (non-recording) and costs next to nothing. Tollgate-specific facts go under `tollgate.*`.
 */
export const TRACER_NAME = 'tollgate';

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

/** Span name per the GenAI conventions: `{operation} {model}`, e.g. `chat gpt-4o-mini`. */
export function genAiSpanName(req: GenAiRequest): string {
  return `${req.operation ?? 'chat'} ${req.model}`;
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
export function decisionAttributes(r: DecisionRecord): Attributes {
  const a: Attributes = {
    'gen_ai.usage.input_tokens': r.tokens.input,
    'gen_ai.usage.output_tokens': r.tokens.output,
    'tollgate.tokens.cached': r.tokens.cached,
    'tollgate.tokens.source': r.tokens.source,
    'tollgate.cost.full_microdollars': r.cost.full,
    'tollgate.cost.vendor_microdollars': r.cost.vendor,
    'tollgate.outcome': r.outcome,
    'tollgate.policy.version': r.policy.version,
  };
  if (r.model !== undefined) a['gen_ai.response.model'] = r.model;
  if (r.tier !== undefined) a['tollgate.tier'] = r.tier;
  if (r.rule !== undefined) a['tollgate.rule'] = r.rule;
  if (r.cache) a['tollgate.cache.hit'] = r.cache.hit;
  if (r.fallbacks.length > 0) a['tollgate.fallbacks'] = r.fallbacks.map((f) => f.model);
  if (r.actions?.length) a['tollgate.actions'] = r.actions;
  if (r.error) a['error.type'] = r.error.code;
  return a;
}

/** Adds a settled record to a span and marks it failed when the request failed. */
export function recordDecisionOnSpan(span: Span, r: DecisionRecord): void {
  if (!span.isRecording()) return;
  span.setAttributes(decisionAttributes(r));
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
