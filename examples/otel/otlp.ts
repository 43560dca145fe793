/**
 * Tollgate with OpenTelemetry over OTLP/HTTP: spans and the GenAI metrics go to a collector (or any OTLP
 * backend: Tempo, Jaeger, Honeycomb, Grafana Cloud…) at OTEL_EXPORTER_OTLP_ENDPOINT (default
 * http://localhost:4318). Spans are sampled by cost or length: every request that cost at least a cent,
 * took 10 s or more, or failed is exported; of the rest, 10% of traces.
 *
 *   npm install @opentelemetry/sdk-trace @opentelemetry/sdk-metrics \
 *     @opentelemetry/exporter-trace-otlp-http @opentelemetry/exporter-metrics-otlp-http
 *   npx tsx examples/otel/otlp.ts
 *
 * Tollgate itself depends only on @opentelemetry/api: without an SDK registered, its spans and
 * instruments are no-ops.
 */
import { metrics, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { CostAwareSampler, CostAwareSpanProcessor } from '../../adapters/observers/index.js';
import { createTollgate } from '../../index.js';

export interface TelemetryOptions {
  /** OTLP/HTTP base URL. Default OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318. */
  endpoint?: string;
  /** Share of cheap, short traces kept. Default 0.1. */
  ratio?: number;
}

export function startTelemetry(o: TelemetryOptions = {}): { shutdown(): Promise<void> } {
  const endpoint = o.endpoint ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318';
  const tracerProvider = new TracerProvider({
    sampler: new CostAwareSampler({ ratio: o.ratio ?? 0.1 }),
    spanProcessors: [
      new CostAwareSpanProcessor<ReadableSpan>(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }) }), {
        minCostUsd: 0.01,
        minDurationMs: 10_000,
      }),
    ],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }), exportIntervalMillis: 15_000 })],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const telemetry = startTelemetry();
  // A simulated model, so the example runs without vendor keys; a real policy works the same way.
  const tollgate = createTollgate({
    policy: { name: 'otel-demo', models: [{ id: 'sim-mini', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, prices: { inputPerM: 0.15, outputPerM: 0.6 } }] },
  });
  const out = await tollgate.complete({ tenant: 'demo', messages: [{ role: 'user', content: 'What does a token cost?' }] });
  console.log(`${out.model}: ${out.usage.inputTokens} in, ${out.usage.outputTokens} out, $${(out.cost.full / 1e6).toFixed(6)}`);
  await tollgate.close();
  await telemetry.shutdown();
}
