import { Counter, Registry } from 'prom-client';
import type { DecisionRecord } from '../../engine/decision-record.js';

/**
 * A minimal Prometheus registry for the gateway, used when the engine's telemetry module is not wired:
 * `tollgate_gateway_decisions_total{outcome}` and `tollgate_gateway_cost_micros_total` (the settled
 * full cost, summed from decision records — never recomputed here).
 */
export function gatewayMetrics(): { registry: Registry; observe: (r: DecisionRecord) => void } {
  const registry = new Registry();
  const decisions = new Counter({ name: 'tollgate_gateway_decisions_total', help: 'Settled decisions by outcome', labelNames: ['outcome'], registers: [registry] });
  const cost = new Counter({ name: 'tollgate_gateway_cost_micros_total', help: 'Settled full cost, micro-dollars', registers: [registry] });
  return {
    registry,
    observe: (r) => {
      decisions.inc({ outcome: r.outcome });
      if (r.cost.full > 0) cost.inc(r.cost.full);
    },
  };
}
