import type { DecisionRecord } from '../../../engine/decision-record.js';
import type { Alert } from './alert-sink.js';

/**
 * A `runaway-client` alert for a record the engine's loop detector marked (`actions` entry
 * `loop:<action>:<repeats>x:<fingerprint>`, engine/loop-detector.ts): one per tenant and repeated prompt
 * within the monitor's dedup window. `page` when the policy refuses (a client is being turned away),
 * `ticket` for warn and throttle.
 */
export function runawayAlerts(record: DecisionRecord, at: string): Alert[] {
  const out: Alert[] = [];
  for (const a of record.actions ?? []) {
    const m = /^loop:(warn|throttle|refuse):(\d+)x:([0-9a-f]+)$/.exec(a);
    if (!m) continue;
    const [, action, repeats, fingerprint] = m;
    out.push({
      key: `runaway-client:${record.tenant}:${fingerprint}`,
      kind: 'runaway-client',
      severity: action === 'refuse' ? 'page' : 'ticket',
      tenant: record.tenant,
      at,
      message: `Tenant ${record.tenant}: a client sent the same long prompt ${repeats} times within the loop window (action: ${action}); likely an agent loop or a retrying SDK`,
      data: { action: action!, repeats: Number(repeats), fingerprint: fingerprint! },
    });
  }
  return out;
}
