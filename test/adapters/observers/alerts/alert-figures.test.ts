import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertMonitor } from '../../../../adapters/observers/alerts/alert-monitor.js';
import type { DecisionRecord } from '../../../../engine/decision-record.js';
import type { Policy } from '../../../../policies/schema.js';
import { figures, injectIncident, simulatedRecords } from './alert-figures.js';

const ROOT = join(import.meta.dirname, '../../../..');
const TRACE = join(ROOT, 'examples/traces/default.jsonl');
const H = 3_600_000;
/** "A handful of pages per day" on traffic with no injected incident. */
const MAX_PAGES_PER_DAY = 5;

const runs: Record<string, { policy: Policy; records: DecisionRecord[] }> = {};
beforeAll(async () => {
  for (const name of ['all-vendor.yaml', 'cost-aware.ts']) runs[name] = await simulatedRecords(join(ROOT, 'policies/examples', name), TRACE);
}, 120_000);

const replay = (name: string, records: DecisionRecord[], o: Partial<ConstructorParameters<typeof AlertMonitor>[0]> = {}) =>
  figures(name, records, new AlertMonitor({ tenants: runs[name]!.policy.tenants, ...o }));

describe('alert volume on the bundled 40-hour trace (docs/observability.md)', () => {
  for (const name of ['all-vendor.yaml', 'cost-aware.ts']) {
    it(`${name}: no more than a handful of pages per day, tickets grouped per tenant, money in dollars`, async () => {
      const f = await replay(name, runs[name]!.records);
      expect(f.hours).toBeGreaterThan(40);
      expect(f.pagesPerDay).toBeLessThanOrEqual(MAX_PAGES_PER_DAY);
      expect(f.ticketsPerDay).toBeLessThanOrEqual(12);
      for (const a of f.alerts) expect(a.message).not.toContain('µ$');
    });
  }

  it('all-vendor: an injected 200× spend incident on an unbudgeted tenant pages, for that tenant, during the incident', async () => {
    const { records } = runs['all-vendor.yaml']!;
    const from = Date.parse(records[0]!.time) + 20 * H;
    const f = await replay('all-vendor.yaml', injectIncident(records, 'helpdesk', from, from + H, 200));
    const pages = f.alerts.filter((a) => a.severity === 'page');
    // One page per tenant per hour while it lasts (grouped), nobody else paged.
    expect(new Set(pages.map((a) => `${a.kind}/${a.tenant}`))).toEqual(new Set(['spend-anomaly/helpdesk']));
    expect(pages.length).toBeLessThanOrEqual(2);
    expect(Date.parse(pages[0]!.at)).toBeGreaterThanOrEqual(from);
    expect(Date.parse(pages[0]!.at)).toBeLessThan(from + H);
    for (let i = 1; i < pages.length; i++) expect(Date.parse(pages[i]!.at) - Date.parse(pages[i - 1]!.at)).toBeGreaterThanOrEqual(H);
  });

  it('cost-aware: an injected 50× incident on a budgeted tenant pages (fast burn or spend), and not during a declared maintenance window', async () => {
    const { records } = runs['cost-aware.ts']!;
    const from = Date.parse(records[0]!.time) + 20 * H;
    const incident = injectIncident(records, 'marketing', from, from + H, 50);
    const f = await replay('cost-aware.ts', incident);
    const pages = f.alerts.filter((a) => a.severity === 'page');
    expect(pages.map((a) => a.tenant)).toEqual(['marketing']);
    expect(Date.parse(pages[0]!.at)).toBeLessThan(from + H);
    const quiet = await replay('cost-aware.ts', incident, { maintenance: [{ from: from - H, to: from + 2 * H, tenants: ['marketing'], reason: 'load test' }] });
    expect(quiet.alerts.filter((a) => a.severity === 'page' && a.tenant === 'marketing')).toEqual([]);
  });
});
