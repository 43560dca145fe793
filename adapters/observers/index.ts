/** `tollgate/observers`: Prometheus metrics and alert monitors (burn rate, spend anomaly, token inflation). */
export { TollgateMetrics, metricsHandler, type TollgateMetricsOptions } from './prometheus-metrics.js';
export { AlertMonitor, type AlertMonitorOptions } from './alerts/alert-monitor.js';
export { AlertDeliveryError, type AlertSink, type Alert, type AlertKind } from './alerts/alert-sink.js';
export { CostAwareSampler, CostAwareSpanProcessor, SamplingDecision, type CostAwareSamplerOptions, type CostAwareProcessorOptions } from './otel-sampling.js';
export type { AlertMonitorStats } from './alerts/alert-monitor.js';
export type { MaintenanceWindow } from './alerts/maintenance.js';
export type { GroupingOptions } from './alerts/grouping.js';
export type { ObserveExtras } from './prometheus-metrics.js';
export { CapacityMonitor, ENGINE_METRICS, type CapacityMonitorOptions, type CapacityTarget, type CapacityObservation, type CapacityScrapeError, type ServingEngine } from './capacity-monitor.js';
export { parsePrometheusText, PrometheusTextError, type PromSample, type PromExposition } from './capacity-metrics-text.js';
export { CapacityLedger, type CapacityLedgerOptions } from './capacity-ledger.js';
