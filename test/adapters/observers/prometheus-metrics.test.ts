import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { decisionRecordSchema, type DecisionRecord } from '../../../engine/decision-record.js';
import { metricsHandler, TollgateMetrics } from '../../../adapters/observers/prometheus-metrics.js';

function record(over: Partial<DecisionRecord> & { tenant: string }): DecisionRecord {
  return decisionRecordSchema.parse({
    v: 1,
    time: '2030-01-01T00:00:00Z',
    requestId: Math.random().toString(36),
    policy: { name: 'p', version: 'v' },
    model: 'gpt-4o-mini',
    tier: 'vendor',
    tokens: { input: 100, output: 50, cached: 10, source: 'vendor' },
    cost: { vendor: 300, infra: 20, ops: 5, full: 325 },
    latencyMs: 120,
    outcome: 'ok',
    ...over,
  });
}

type Family = ReturnType<typeof parsePrometheusTextFormat>[number];
const family = (fams: Family[], name: string): Family => {
  const f = fams.find((x) => x.name === name);
  if (!f) throw new Error(`metric ${name} missing`);
  return f;
};
const value = (f: Family, labels: Record<string, string>): number =>
  Number(f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN);

describe('TollgateMetrics', () => {
  it('exposes record-derived metrics that parse as Prometheus text', async () => {
    const m = new TollgateMetrics({ knownTenants: ['acme'] });
    m.observe(record({ tenant: 'acme' }));
    m.observe(record({ tenant: 'acme', cache: { hit: true, savedMicros: 325 }, cost: { vendor: 0, infra: 0, ops: 0, full: 0 } }));
    m.observe(record({ tenant: 'acme', cache: { hit: false, savedMicros: 0 }, actions: ['downgrade:distilled', 'throttle:1200ms'], tier: 'distilled', model: 'small' }));
    m.observe(record({ tenant: 'acme', outcome: 'refused', model: undefined, tier: undefined, error: { code: 'budget_exceeded', message: 'x' } }));
    m.observeDecisionDuration(0.00004);
    m.setBudgetRemaining('acme', 1_234_567);
    const fams = parsePrometheusTextFormat(await m.metrics());

    const req = family(fams, 'tollgate_requests_total');
    expect(req.type).toBe('COUNTER');
    expect(value(req, { tenant: 'acme', model: 'gpt-4o-mini', tier: 'vendor', outcome: 'ok' })).toBe(2);
    expect(value(req, { tenant: 'acme', model: 'small', tier: 'distilled', outcome: 'ok' })).toBe(1);
    expect(value(req, { tenant: 'acme', model: 'none', tier: 'none', outcome: 'refused' })).toBe(1);
    const tokens = family(fams, 'tollgate_tokens_total');
    expect(value(tokens, { tenant: 'acme', model: 'gpt-4o-mini', direction: 'input' })).toBe(200);
    expect(value(tokens, { tenant: 'acme', model: 'gpt-4o-mini', direction: 'cached' })).toBe(20);
    const cost = family(fams, 'tollgate_cost_microdollars_total');
    expect(value(cost, { tenant: 'acme', model: 'gpt-4o-mini', component: 'vendor' })).toBe(300);
    expect(value(cost, { tenant: 'acme', model: 'small', component: 'infra' })).toBe(20);
    expect(value(family(fams, 'tollgate_cache_lookups_total'), { tenant: 'acme' })).toBe(2);
    expect(value(family(fams, 'tollgate_cache_hits_total'), { tenant: 'acme' })).toBe(1);
    const actions = family(fams, 'tollgate_limit_actions_total');
    expect(value(actions, { tenant: 'acme', action: 'downgrade' })).toBe(1);
    expect(value(actions, { tenant: 'acme', action: 'throttle' })).toBe(1);
    const remaining = family(fams, 'tollgate_budget_remaining_microdollars');
    expect(remaining.type).toBe('GAUGE');
    expect(value(remaining, { tenant: 'acme' })).toBe(1_234_567);
    const hist = family(fams, 'tollgate_decision_duration_seconds');
    expect(hist.type).toBe('HISTOGRAM');
    expect(hist.metrics[0]!.count).toBe('1');
    expect(hist.metrics[0]!.buckets!['0.00005']).toBe('1');
    expect(hist.metrics[0]!.buckets!['0.00001']).toBe('0');
    expect(family(fams, 'tollgate_request_duration_seconds').type).toBe('HISTOGRAM');
    // Its own registry: nothing leaks into prom-client's global one.
    expect(await globalRegistry.getSingleMetricAsString('tollgate_requests_total').catch(() => 'absent')).toBe('absent');
  });

  it('bounds tenant and model label cardinality (known tenants first, then first come, then "other")', async () => {
    const m = new TollgateMetrics({ maxTenants: 3, knownTenants: ['vip'], maxModels: 2 });
    for (let i = 0; i < 20; i++) m.observe(record({ tenant: `t${i}`, model: `m${i}` }));
    m.observe(record({ tenant: 'vip' }));
    const req = family(parsePrometheusTextFormat(await m.metrics()), 'tollgate_requests_total');
    const tenants = new Set(req.metrics.map((x) => x.labels!.tenant));
    const models = new Set(req.metrics.map((x) => x.labels!.model));
    expect([...tenants].sort()).toEqual(['other', 't0', 't1', 'vip']);
    expect([...models].sort()).toEqual(['m0', 'm1', 'other']);
    expect(req.metrics.reduce((s, x) => s + Number(x.value), 0)).toBe(21);
    expect(value(req, { tenant: 'other', model: 'other' })).toBe(18);
  });

  it('metricsHandler serves the text format over HTTP and refuses other methods', async () => {
    const m = new TollgateMetrics();
    m.observe(record({ tenant: 'acme' }));
    const server = createServer(metricsHandler(m));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const fams = parsePrometheusTextFormat(await res.text());
      expect(value(family(fams, 'tollgate_requests_total'), { tenant: 'acme', outcome: 'ok' })).toBe(1);
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('exports what the shipped rules read: budgets, GPUs, policy version, pre-count vs vendor tokens, token histogram', async () => {
    const now = Date.UTC(2030, 1, 10); // February 2030: 28 days
    const policy = {
      tenants: { acme: { budgets: [{ window: 'month' as const, usd: 28 }, { window: 'day' as const, usd: 2, tag: 'x' }], actions: [] } },
      models: [{ id: 'local', infra: { gpus: 2, tokensPerSecond: 1000, gpuHourlyUsd: 3 } }, { id: 'gpt-4o-mini' }],
    } as never;
    const m = new TollgateMetrics({ policy, now: () => now });
    m.observe(record({ tenant: 'acme' }), { precountedInputTokens: 90 });
    m.observe(record({ tenant: 'acme', tokens: { input: 100, output: 50, cached: 0, source: 'tokenizer' } }), { precountedInputTokens: 100 }); // no vendor usage: not compared
    m.observe(record({ tenant: 'acme', model: 'local', tier: 'local-gpu', tokens: { input: 1000, output: 800, cached: 0, source: 'vendor' } }));
    m.observe(record({ tenant: 'acme', policy: { name: 'p', version: 'v2' } }));
    const text = await m.metrics();
    const fams = parsePrometheusTextFormat(text);
    expect(value(family(fams, 'tollgate_budget_limit_microdollars'), { tenant: 'acme', window: 'month' })).toBe(28_000_000);
    expect(family(fams, 'tollgate_budget_limit_microdollars').metrics).toHaveLength(1); // tagged budgets are not burn-rated
    expect(value(family(fams, 'tollgate_budget_window_seconds'), { tenant: 'acme', window: 'month' })).toBe(28 * 86_400);
    expect(value(family(fams, 'tollgate_gpus_provisioned'), { model: 'local' })).toBe(2);
    // 1,800 tokens at 2 GPUs × 1,000 tokens/s: 1.8 s of 2 GPUs = 0.001 GPU-hours.
    expect(value(family(fams, 'tollgate_gpu_hours_total'), { tenant: 'acme', model: 'local' })).toBeCloseTo(0.001, 9);
    expect(value(family(fams, 'tollgate_input_tokens_precounted_total'), { tenant: 'acme', model: 'gpt-4o-mini' })).toBe(90);
    expect(value(family(fams, 'tollgate_input_tokens_vendor_total'), { tenant: 'acme', model: 'gpt-4o-mini' })).toBe(100);
    const info = family(fams, 'tollgate_policy_info');
    expect(info.metrics.map((x) => x.labels)).toEqual([{ policy: 'p', version: 'v2' }]); // the old version's series is gone
    // (the text-format parser drops histogram labels, so these read the exposition itself)
    expect(family(fams, 'tollgate_request_tokens').type).toBe('HISTOGRAM');
    expect(text).toContain('tollgate_request_tokens_count{direction="input"} 4');
    expect(text).toContain('tollgate_request_tokens_sum{direction="output"} 950');
    expect(text).toMatch(/tollgate_request_duration_seconds_count\{outcome="ok",model="local"\} 1/);
  });

  it('counts a capacity fleet\'s GPU-hours from the records\' gpuSeconds and its provisioned GPUs at min replicas', async () => {
    const capacity = { gpusPerReplica: 2, gpuHourlyUsd: 2.5, replicas: { min: 3, max: 6 }, throughput: [{ batch: 1, prefillTokensPerSecond: 5000, decodeTokensPerSecond: 60 }] };
    const m = new TollgateMetrics({ policy: { tenants: {}, models: [{ id: 'fleet', capacity }] } as never });
    m.observe(record({ tenant: 'acme', model: 'fleet', tier: 'local-gpu', gpuSeconds: 90 }));
    m.observe(record({ tenant: 'acme', model: 'fleet', tier: 'local-gpu', gpuSeconds: 270 }));
    m.observe(record({ tenant: 'acme', model: 'fleet', tier: 'local-gpu', gpuSeconds: 3600, cache: { hit: true, match: 'exact', savedMicros: 0 } })); // a cache hit used no GPU
    const fams = parsePrometheusTextFormat(await m.metrics());
    expect(value(family(fams, 'tollgate_gpus_provisioned'), { model: 'fleet' })).toBe(6);
    expect(value(family(fams, 'tollgate_gpu_hours_total'), { tenant: 'acme', model: 'fleet' })).toBeCloseTo(0.1, 12);
  });
});
