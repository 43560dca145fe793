import { type Attributes, type Context, type HrTime, type Link, type SpanContext, type SpanKind, TraceFlags, trace } from '@opentelemetry/api';

/**
 * "Sample by cost or length" for OpenTelemetry. Head sampling cannot know what a request will cost, so
 * the decision is split in two, and both parts plug into the application's own SDK (they are written
 * against the SDK's interfaces structurally, so Tollgate needs no SDK dependency):
 *
 * - {@link CostAwareSampler} (the TracerProvider's `sampler`): a root span is sampled with probability
 *   `ratio` (by trace id, as TraceIdRatioBased does); every other root span is still RECORDED (not
 *   sampled), so its attributes, cost included, are there when it ends. Children follow their parent.
 * - {@link CostAwareSpanProcessor} (wrapping the processor that exports, e.g. a BatchSpanProcessor over
 *   the OTLP exporter): passes on every sampled span, and also every recorded span that cost at least
 *   `minCostUsd` (`gen_ai.usage.cost.amount`), took at least `minDurationMs`, or failed — marked sampled
 *   so the inner processor exports it. The rest are dropped.
 */

/** The SDK's SamplingDecision values (NOT_RECORD, RECORD, RECORD_AND_SAMPLED). */
export const SamplingDecision = { NOT_RECORD: 0, RECORD: 1, RECORD_AND_SAMPLED: 2 } as const;
type Decision = (typeof SamplingDecision)[keyof typeof SamplingDecision];

export interface CostAwareSamplerOptions {
  /** Share of cheap, short root spans to keep (0..1). Default 0.1. */
  ratio?: number;
}

export class CostAwareSampler {
  private readonly bound: number;
  constructor(readonly options: CostAwareSamplerOptions = {}) {
    const ratio = Math.min(1, Math.max(0, options.ratio ?? 0.1));
    this.bound = Math.floor(ratio * 0xffffffff);
  }

  shouldSample(ctx: Context, traceId: string, _name?: string, _kind?: SpanKind, _attributes?: Attributes, _links?: Link[]): { decision: Decision } {
    const parent = trace.getSpanContext(ctx);
    if (parent && trace.isSpanContextValid(parent)) {
      return { decision: parent.traceFlags & TraceFlags.SAMPLED ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.RECORD };
    }
    return { decision: this.inRatio(traceId) ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.RECORD };
  }

  /** Deterministic per trace id: the same trace is kept or not by every process. */
  private inRatio(traceId: string): boolean {
    let acc = 0;
    for (let i = 0; i < traceId.length / 8; i++) acc = (acc ^ parseInt(traceId.slice(i * 8, i * 8 + 8), 16)) >>> 0;
    return acc <= this.bound && this.bound > 0;
  }

  toString(): string {
    return `CostAwareSampler{ratio=${this.options.ratio ?? 0.1}}`;
  }
}

/** What the processor reads of an ended span (the SDK's ReadableSpan has these). */
export interface EndedSpan {
  readonly attributes: Attributes;
  readonly duration: HrTime;
  readonly status: { code: number };
  spanContext(): SpanContext;
}

/** The SDK's SpanProcessor, structurally. */
export interface SpanProcessorLike<S = EndedSpan> {
  onStart(span: unknown, parentContext: Context): void;
  onEnd(span: S): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface CostAwareProcessorOptions {
  /** Keep every span that cost at least this (USD, `gen_ai.usage.cost.amount`). Default 0.01 (one cent). */
  minCostUsd?: number;
  /** Keep every span that took at least this long. Default 10,000 ms. */
  minDurationMs?: number;
  /** Keep every failed span (status ERROR). Default true. */
  keepErrors?: boolean;
}

export class CostAwareSpanProcessor<S extends EndedSpan = EndedSpan> implements SpanProcessorLike<S> {
  private readonly minCost: number;
  private readonly minDurationMs: number;
  private readonly keepErrors: boolean;

  constructor(
    private readonly inner: SpanProcessorLike<S>,
    options: CostAwareProcessorOptions = {},
  ) {
    this.minCost = options.minCostUsd ?? 0.01;
    this.minDurationMs = options.minDurationMs ?? 10_000;
    this.keepErrors = options.keepErrors ?? true;
  }

  onStart(span: unknown, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: S): void {
    const sc = span.spanContext();
    if (sc.traceFlags & TraceFlags.SAMPLED) return this.inner.onEnd(span);
    if (!this.keep(span)) return;
    // Kept by cost, length or failure: hand it on as sampled (the span itself is not changed).
    const kept = Object.create(span) as S;
    const ctx: SpanContext = { ...sc, traceFlags: sc.traceFlags | TraceFlags.SAMPLED };
    Object.defineProperty(kept, 'spanContext', { value: () => ctx });
    this.inner.onEnd(kept);
  }

  /** Why a span that was not head-sampled is kept: `cost`, `duration`, `error`, or undefined. */
  keep(span: EndedSpan): 'cost' | 'duration' | 'error' | undefined {
    const cost = span.attributes['gen_ai.usage.cost.amount'];
    if (typeof cost === 'number' && cost >= this.minCost) return 'cost';
    if (span.duration[0] * 1000 + span.duration[1] / 1e6 >= this.minDurationMs) return 'duration';
    if (this.keepErrors && span.status.code === 2) return 'error';
    return undefined;
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
