import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { createTollgate } from '../../../compose.js';
import { TollgateMetrics } from '../../../adapters/observers/prometheus-metrics.js';
import { simPolicy } from '../../support/policies.js';

type Family = { name: string; metrics: { labels?: Record<string, string>; value?: string; count?: string }[] };

describe('createTollgate({ metrics })', () => {
  it('updates request, token and cost counters and the decision-latency histogram from every settled record', async () => {
    const metrics = new TollgateMetrics();
    const tg = createTollgate({ policy: simPolicy({ tenants: { acme: { budgets: [{ window: 'month', usd: 10 }] } } }), metrics });
    for (let i = 0; i < 3; i++) await tg.complete({ tenant: 'acme', messages: [{ role: 'user', content: `question ${i}` }] });
    await tg.complete({ tenant: 'acme', model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
    const families = parsePrometheusTextFormat(await metrics.metrics()) as Family[];
    const get = (name: string) => families.find((f) => f.name === name)!;
    const ok = get('tollgate_requests_total').metrics.filter((m) => m.labels?.outcome === 'ok').reduce((s, m) => s + Number(m.value), 0);
    expect(ok).toBe(3);
    const costFamily = get('tollgate_cost_microdollars_total').metrics.reduce((s, m) => s + Number(m.value), 0);
    expect(costFamily).toBe(tg.ledger.total().fullMicros);
    const hist = get('tollgate_decision_duration_seconds');
    expect(Number(hist.metrics[0]!.count)).toBe(3);
    const remaining = get('tollgate_budget_remaining_microdollars').metrics.find((m) => m.labels?.tenant === 'acme');
    expect(Number(remaining!.value)).toBe(10_000_000 - tg.ledger.total().fullMicros);
  });
});
