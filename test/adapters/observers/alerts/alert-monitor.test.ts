import { describe, expect, it } from 'vitest';
import { AlertMonitor, type AlertMonitorOptions } from '../../../../adapters/observers/alerts/alert-monitor.js';
import type { Alert } from '../../../../adapters/observers/alerts/alert-sink.js';
import type { DecisionRecord } from '../../../../engine/decision-record.js';
import { generateSeries, mergeSeries } from '../../../support/spend-series.js';

const START = Date.UTC(2030, 0, 10, 0, 0, 0);
const H = 3_600_000;
// $300 over January (31 days) → ideal 6,720 µ$/min; 4 requests/min at 1,680 µ$ burn at ≈ 1×.
const tenants = { acme: { budgets: [{ window: 'month' as const, usd: 300 }], actions: [] }, beta: { budgets: [], actions: [] } };
const base = { start: START, hours: 12, costMicros: 1_680, tokens: 1_200 };

async function replay(records: DecisionRecord[], o: Omit<AlertMonitorOptions, 'tenants' | 'sink'> = {}): Promise<Alert[]> {
  const sent: Alert[] = [];
  const monitor = new AlertMonitor({ tenants, sink: { send: async (a) => void sent.push(a) }, ...o });
  const returned = records.flatMap((r) => monitor.observe(r));
  returned.push(...(await monitor.flush()));
  expect(sent).toEqual(returned);
  return sent;
}

const normal = () => mergeSeries(generateSeries({ ...base, seed: 1 }), generateSeries({ ...base, seed: 2, tenant: 'beta', costMicros: 900, tokens: 400 }));

describe('AlertMonitor on a replayed trace', () => {
  it('stays silent on normal traffic', async () => {
    expect(await replay(normal())).toEqual([]);
  });

  const spike = { from: START + 8 * H, to: START + 8.5 * H, costFactor: 40, tokenFactor: 4 };
  const spiked = () => mergeSeries(generateSeries({ ...base, seed: 1, spike }), generateSeries({ ...base, seed: 2, tenant: 'beta', costMicros: 900, tokens: 400 }));

  it('an injected spike is one page for that tenant: the detectors that see it are grouped into it', async () => {
    const alerts = await replay(spiked());
    expect(alerts.map((a) => `${a.severity}/${a.tenant}`)).toEqual(['page/acme']);
    const t = Date.parse(alerts[0]!.at);
    expect(t).toBeGreaterThanOrEqual(spike.from);
    expect(t).toBeLessThan(spike.to);
    expect(alerts[0]!.message).toMatch(/^Tenant "acme" spent \$\d+\.\d{2} in the last 5 min, \d+\.\d× its usual \$0\.\d{4}/);
    expect(alerts[0]!.message).not.toContain('µ$');
  });

  it('ungrouped, the spike raises fast burn (page), spend anomaly (page) and token inflation (ticket) — once each, for that tenant only', async () => {
    const alerts = await replay(spiked(), { grouping: false });
    const kinds = alerts.map((a) => `${a.kind}/${a.severity}/${a.tenant}`).sort();
    expect(kinds).toEqual(['burn-rate/page/acme', 'spend-anomaly/page/acme', 'token-inflation/ticket/acme']);
    for (const a of alerts) {
      const t = Date.parse(a.at);
      expect(t).toBeGreaterThanOrEqual(spike.from);
      expect(t).toBeLessThan(spike.to + 10 * 60_000);
    }
    const burn = alerts.find((a) => a.kind === 'burn-rate')!;
    expect(burn.key).toBe('burn-rate:acme:month:fast');
    expect(burn.data.longBurn).toBeGreaterThanOrEqual(14.4);
    expect(burn.data.shortBurn).toBeGreaterThanOrEqual(14.4);
    expect(burn.message).toMatch(/^Tenant "acme" spent \$\d+\.\d{2} in the last 1h of its \$300\.00 month budget: \d+\.\d× the even pace/);
  });

  it('a spike inside a declared maintenance window pages nobody; the same spike after it still pages', async () => {
    const during = await replay(spiked(), { maintenance: [{ from: START + 7.5 * H, to: START + 9 * H, reason: 'load test' }] });
    expect(during).toEqual([]);
    const otherTenant = await replay(spiked(), { maintenance: [{ from: START + 7.5 * H, to: START + 9 * H, tenants: ['beta'] }] });
    expect(otherTenant.map((a) => `${a.severity}/${a.tenant}`)).toEqual(['page/acme']);
    const ended = await replay(spiked(), { maintenance: [{ from: START + 7 * H, to: START + 8 * H }] });
    expect(ended.map((a) => `${a.severity}/${a.tenant}`)).toEqual(['page/acme']);
  });

  it('a small spend spike (a few cents) is a ticket, not a page', async () => {
    const small = { ...base, costMicros: 40, seed: 5, spike: { from: START + 8 * H, to: START + 8.5 * H, costFactor: 40 } };
    const alerts = await replay(generateSeries(small), { burnRate: false });
    expect(alerts.map((a) => `${a.kind}/${a.severity}`)).toEqual(['spend-anomaly/ticket']);
  });

  it('fires the slow-burn ticket (not the fast page) on a sustained 8× spend, once a day', async () => {
    const spike = { from: START + 4 * H, to: START + 12 * H, costFactor: 8 };
    const alerts = await replay(generateSeries({ ...base, seed: 3, spike }));
    const burns = alerts.filter((a) => a.kind === 'burn-rate');
    expect(burns.map((a) => a.key)).toEqual(['burn-rate:acme:month:slow']);
    expect(burns[0]!.severity).toBe('ticket');
    expect(alerts.some((a) => a.kind === 'token-inflation')).toBe(false);
    // Without grouping, the 1 h dedup window re-sends the ongoing slow burn about once per hour, no more.
    const slow = (await replay(generateSeries({ ...base, seed: 3, spike }), { grouping: false })).filter((a) => a.key.endsWith(':slow'));
    expect(slow.length).toBeGreaterThan(1);
    for (let i = 1; i < slow.length; i++) expect(Date.parse(slow[i]!.at) - Date.parse(slow[i - 1]!.at)).toBeGreaterThanOrEqual(H);
  });

  it('keeps delivering when the sink fails, reporting each failure', async () => {
    const failures: string[] = [];
    const monitor = new AlertMonitor({
      tenants,
      sink: { send: async () => Promise.reject(new Error('down')) },
      onSinkError: (_e, a) => failures.push(a.key),
    });
    const emitted = generateSeries({ ...base, seed: 1, spike }).flatMap((r) => monitor.observe(r));
    emitted.push(...(await monitor.flush()));
    expect(failures).toEqual(emitted.map((a) => a.key));
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(monitor.stats()).toMatchObject({ pages: 1, grouped: expect.any(Number) });
    expect(monitor.stats().raised).toBeGreaterThan(1);
  });
});
