import { describe, expect, it } from 'vitest';
import { AlertMonitor } from '../../../../adapters/observers/alerts/alert-monitor.js';
import type { Alert } from '../../../../adapters/observers/alerts/alert-sink.js';
import type { DecisionRecord } from '../../../../engine/decision-record.js';
import { generateSeries, mergeSeries } from '../../../support/spend-series.js';

const START = Date.UTC(2030, 0, 10, 0, 0, 0);
const H = 3_600_000;
// $300 over January (31 days) → ideal 6,720 µ$/min; 4 requests/min at 1,680 µ$ burn at ≈ 1×.
const tenants = { acme: { budgets: [{ window: 'month' as const, usd: 300 }], actions: [] }, beta: { budgets: [], actions: [] } };
const base = { start: START, hours: 12, costMicros: 1_680, tokens: 1_200 };

async function replay(records: DecisionRecord[]): Promise<Alert[]> {
  const sent: Alert[] = [];
  const monitor = new AlertMonitor({ tenants, sink: { send: async (a) => void sent.push(a) } });
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

  it('fires fast burn, spend anomaly and token inflation on an injected spike — once each, for that tenant only', async () => {
    const spike = { from: START + 8 * H, to: START + 8.5 * H, costFactor: 40, tokenFactor: 4 };
    const records = mergeSeries(generateSeries({ ...base, seed: 1, spike }), generateSeries({ ...base, seed: 2, tenant: 'beta', costMicros: 900, tokens: 400 }));
    const alerts = await replay(records);
    const kinds = alerts.map((a) => `${a.kind}/${a.severity}/${a.tenant}`).sort();
    expect(kinds).toEqual(['burn-rate/page/acme', 'spend-anomaly/page/acme', 'token-inflation/page/acme']);
    for (const a of alerts) {
      const t = Date.parse(a.at);
      expect(t).toBeGreaterThanOrEqual(spike.from);
      expect(t).toBeLessThan(spike.to + 10 * 60_000);
    }
    const burn = alerts.find((a) => a.kind === 'burn-rate')!;
    expect(burn.key).toBe('burn-rate:acme:month:fast');
    expect(burn.data.longBurn).toBeGreaterThanOrEqual(14.4);
    expect(burn.data.shortBurn).toBeGreaterThanOrEqual(14.4);
  });

  it('fires the slow-burn ticket (not the fast page) on a sustained 8× spend', async () => {
    const spike = { from: START + 4 * H, to: START + 12 * H, costFactor: 8 };
    const alerts = await replay(generateSeries({ ...base, seed: 3, spike }));
    const burns = alerts.filter((a) => a.kind === 'burn-rate');
    expect(burns.map((a) => a.key)).toContain('burn-rate:acme:month:slow');
    expect(burns.map((a) => a.key)).not.toContain('burn-rate:acme:month:fast');
    expect(burns.find((a) => a.key.endsWith(':slow'))!.severity).toBe('ticket');
    expect(alerts.some((a) => a.kind === 'token-inflation')).toBe(false);
    // A one-hour dedup window re-sends the ongoing slow burn about once per hour, no more.
    const slow = burns.filter((a) => a.key.endsWith(':slow'));
    for (let i = 1; i < slow.length; i++) expect(Date.parse(slow[i]!.at) - Date.parse(slow[i - 1]!.at)).toBeGreaterThanOrEqual(H);
  });

  it('keeps delivering when the sink fails, reporting each failure', async () => {
    const failures: string[] = [];
    const monitor = new AlertMonitor({
      tenants,
      sink: { send: async () => Promise.reject(new Error('down')) },
      onSinkError: (_e, a) => failures.push(a.key),
    });
    const spike = { from: START + 8 * H, to: START + 8.5 * H, costFactor: 40, tokenFactor: 4 };
    const emitted = generateSeries({ ...base, seed: 1, spike }).flatMap((r) => monitor.observe(r));
    emitted.push(...(await monitor.flush()));
    expect(failures).toEqual(emitted.map((a) => a.key));
    expect(failures.length).toBeGreaterThanOrEqual(3);
  });
});
