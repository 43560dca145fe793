import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertMonitor, type AlertMonitorOptions } from '../../../../adapters/observers/alerts/alert-monitor.js';
import type { Alert } from '../../../../adapters/observers/alerts/alert-sink.js';
import type { DecisionRecord } from '../../../../engine/decision-record.js';
import { loadPolicy } from '../../../../policies/loader.js';
import type { Policy } from '../../../../policies/schema.js';
import { readDecisionLog } from '../../../../offline/reporting/index.js';
import { simulatePolicies } from '../../../../offline/simulation/index.js';

export interface AlertFigures {
  policy: string;
  records: number;
  hours: number;
  pages: number;
  tickets: number;
  pagesPerDay: number;
  ticketsPerDay: number;
  byKind: Record<string, number>;
  alerts: Alert[];
}

/** Simulates `policyFile` over `traceFile`; returns the policy and its decision log in time order. */
export async function simulatedRecords(policyFile: string, traceFile: string): Promise<{ policy: Policy; records: DecisionRecord[] }> {
  const loaded = await loadPolicy(policyFile);
  const outDir = await mkdtemp(join(tmpdir(), 'tg-alert-figures-'));
  try {
    await simulatePolicies({ policies: [loaded], trace: traceFile, outDir, traceOptions: { onError: 'skip' } });
    const log = (await readdir(outDir)).find((f) => f.endsWith('.decisions.jsonl'))!;
    const records: DecisionRecord[] = [];
    for await (const r of readDecisionLog(join(outDir, log), { skipInvalid: true })) records.push(r);
    records.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    return { policy: loaded.policy, records };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** Simulates `policyFile` over `traceFile` and replays its decision log through an AlertMonitor. */
export async function alertFigures(policyFile: string, traceFile: string, monitor: Omit<AlertMonitorOptions, 'tenants'> = {}): Promise<AlertFigures> {
  const { policy, records } = await simulatedRecords(policyFile, traceFile);
  return figures(policy.name, records, new AlertMonitor({ tenants: policy.tenants, ...monitor }));
}

/** An injected incident: `tenant`'s records in [from, to) cost `factor` times as much (every part). */
export function injectIncident(records: DecisionRecord[], tenant: string, from: number, to: number, factor: number): DecisionRecord[] {
  return records.map((r) => {
    const t = Date.parse(r.time);
    if (r.tenant !== tenant || t < from || t >= to) return r;
    const c = r.cost;
    return { ...r, cost: { vendor: c.vendor * factor, infra: c.infra * factor, ops: c.ops * factor, full: c.full * factor } };
  });
}

export async function figures(policy: string, records: DecisionRecord[], m: AlertMonitor): Promise<AlertFigures> {
  const alerts = records.flatMap((r) => m.observe(r));
  alerts.push(...(await m.flush()));
  const hours = records.length > 1 ? (Date.parse(records.at(-1)!.time) - Date.parse(records[0]!.time)) / 3_600_000 : 0;
  const pages = alerts.filter((a) => a.severity === 'page').length;
  const tickets = alerts.length - pages;
  const byKind: Record<string, number> = {};
  for (const a of alerts) byKind[`${a.kind}/${a.severity}`] = (byKind[`${a.kind}/${a.severity}`] ?? 0) + 1;
  const perDay = (n: number) => (hours > 0 ? Math.round((n / hours) * 24 * 10) / 10 : 0);
  return { policy, records: records.length, hours: Math.round(hours * 10) / 10, pages, tickets, pagesPerDay: perDay(pages), ticketsPerDay: perDay(tickets), byKind, alerts };
}
