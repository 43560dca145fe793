import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TollgateMetrics } from '../../adapters/observers/prometheus-metrics.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { Cache, CachedAnswer, CacheHit, CacheQuery } from '../../engine/seams/cache.js';
import { addKey, KeyStore } from '../../gateway/api-keys.js';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import { policySchema, type PolicyInput } from '../../policies/schema.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { type RunningPrometheus, startPrometheus } from './prometheus-server.js';

const UPSTREAM_KEY = 'sk-upstream-prom-test-123456';
process.env.TOLLGATE_PROM_TEST_KEY = UPSTREAM_KEY;
const RULES = join(import.meta.dirname, '../../deploy/prometheus');
const DASHBOARDS = join(import.meta.dirname, '../../deploy/grafana/dashboards');

/** An exact in-process cache (the seam's simplest implementation) so cache series exist. */
class MapCache implements Cache {
  private readonly m = new Map<string, CachedAnswer>();
  async lookup(q: CacheQuery): Promise<CacheHit | undefined> {
    const a = this.m.get(`${q.tenant}\u0000${q.scope}\u0000${q.key}`);
    return a && { ...a, match: 'exact' };
  }
  async store(q: CacheQuery, a: CachedAnswer): Promise<void> {
    this.m.set(`${q.tenant}\u0000${q.scope}\u0000${q.key}`, a);
  }
}

function policy(url: string): PolicyInput {
  const model = { adapter: 'openai-compatible' as const, endpoint: `${url}/v1`, apiKeyEnv: 'TOLLGATE_PROM_TEST_KEY', contextWindow: 128000, quality: 0.9 };
  return {
    name: 'prom-test',
    models: [
      { ...model, id: 'vendor-a', tier: 'vendor', upstreamModel: 'gpt-4o-mini', prices: { inputPerM: 1, outputPerM: 2 } },
      { ...model, id: 'local', tier: 'local-gpu', upstreamModel: 'llama', infra: { gpuHourlyUsd: 3.6, gpus: 2, tokensPerSecond: 2000 } },
    ],
    rules: [{ name: 'default' }],
    // acme's tiny budget burns far faster than 14.4× its even pace, so the fast-burn alert goes pending.
    tenants: { acme: { budgets: [{ window: 'month', usd: 0.5 }] }, beta: {} },
  };
}

let vendor: FakeVendor;
let gw: RunningGateway;
let prom: RunningPrometheus;
let dir: string;
const sink = new MemoryDecisionSink();
const keys: Record<string, string> = {};
let metrics: TollgateMetrics;

async function chat(tenant: string, content: string, model = 'auto', ok = true): Promise<void> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[tenant]}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }], max_tokens: 64 }),
  });
  await res.text();
  expect(res.ok).toBe(ok);
}

/** Drives a mix: both tenants, vendor and self-hosted models, repeated prompts (cache hits). */
async function traffic(round: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await chat(i % 3 === 0 ? 'beta' : 'acme', `round ${round} question ${i % 4}: ${'why '.repeat(1 + (i % 4))}`, i % 2 === 0 ? 'vendor-a' : 'auto');
  }
}

const sumBy = (rs: DecisionRecord[], f: (r: DecisionRecord) => number) => {
  const by: Record<string, number> = {};
  for (const r of rs) by[r.tenant] = (by[r.tenant] ?? 0) + f(r);
  return by;
};
const byTenant = (samples: { metric: Record<string, string>; value: [number, string] }[]) => Object.fromEntries(samples.map((s) => [s.metric.tenant!, Number(s.value[1])]));
const same = (a: Record<string, number>, b: Record<string, number>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** Waits until Prometheus's recorded cumulative cost per tenant equals the decision log's; returns that instant. */
async function settledAt(count: number): Promise<number> {
  await prom.until(`${count} records in the log`, async () => (sink.records.length >= count ? true : undefined), 30_000);
  const want = sumBy(sink.records, (r) => r.cost.full);
  return prom.until('recorded cost to match the decision log', async () => {
    const t = Date.now() / 1000;
    return same(byTenant(await prom.query('tollgate:cost_full_microdollars:sum', t)), want) ? t : undefined;
  });
}

beforeAll(async () => {
  vendor = await startFakeVendor({ apiKey: UPSTREAM_KEY });
  dir = mkdtempSync(join(tmpdir(), 'tg-prom-gw-'));
  const keysPath = join(dir, 'keys.json');
  for (const t of ['acme', 'beta']) keys[t] = addKey(keysPath, t);
  const store = new KeyStore(keysPath);
  const input = policy(vendor.url);
  metrics = new TollgateMetrics({ policy: policySchema.parse(input) });
  metrics.setBatchQueue('queued', 2);
  metrics.setBatchQueue('running', 1);
  const tollgate = createTollgate({ policy: input, decisionLog: sink, metrics, cache: new MapCache() });
  gw = await startGateway({ tollgate, tenantForKey: (k) => store.tenantFor(k), metrics });
  prom = await startPrometheus({ targets: [`127.0.0.1:${gw.port}`], ruleFiles: [join(RULES, 'recording.rules.yml'), join(RULES, 'alerting.rules.yml')] });
}, 60_000);

afterAll(async () => {
  await prom?.stop();
  await gw?.close();
  await vendor?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a real Prometheus scraping the gateway, with the shipped rules', () => {
  it('records the same cost as the decision log, for the whole run and for a window', async () => {
    await prom.until('the gateway target to be up', async () => ((await prom.query('up{job="tollgate"} == 1')).length === 1 ? true : undefined));
    await traffic(1, 24);
    vendor.setBehaviour('400'); // one failed request, so the refused-and-failed panel has a series
    await chat('acme', 'this one fails upstream', 'vendor-a', false);
    vendor.setBehaviour(undefined);
    const t1 = await settledAt(25);
    const before = sink.records.length;
    await traffic(2, 30);
    const t2 = await settledAt(before + 30);
    const window = sink.records.slice(before);
    expect(window.some((r) => r.cache?.hit)).toBe(true);
    expect(new Set(window.map((r) => r.model))).toEqual(new Set(['vendor-a', 'local']));

    const diff = async (expr: string) => {
      const [a, b] = [byTenant(await prom.query(expr, t1)), byTenant(await prom.query(expr, t2))];
      return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]));
    };
    // Cost in the window between t1 and t2: Prometheus (recording rules) against the log's records.
    expect(await diff('tollgate:cost_full_microdollars:sum')).toEqual(sumBy(window, (r) => r.cost.full));
    expect(await diff('tollgate:cost_vendor_microdollars:sum')).toEqual(sumBy(window, (r) => r.cost.vendor));
    expect(await diff('tollgate:tokens:sum')).toEqual(sumBy(window, (r) => r.tokens.input + r.tokens.output));
    const full = window.reduce((s, r) => s + r.cost.full, 0);
    expect(full).toBeGreaterThan(0);
    // Cost per 1M tokens over the whole run (µ$ per token = $ per 1M tokens).
    const [perM] = await prom.query('sum(tollgate:cost_full_microdollars:sum) / sum(tollgate:tokens:sum)', t2);
    const all = sink.records;
    expect(Number(perM!.value[1])).toBeCloseTo(all.reduce((s, r) => s + r.cost.full, 0) / all.reduce((s, r) => s + r.tokens.input + r.tokens.output, 0), 9);
  }, 120_000);

  it('answers every Grafana panel query with series', async () => {
    const panels = readdirSync(DASHBOARDS).flatMap((f) => {
      const d = JSON.parse(readFileSync(join(DASHBOARDS, f), 'utf8')) as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };
      return d.panels.flatMap((p) => p.targets.map((t) => ({ where: `${d.uid} / ${p.title}`, expr: t.expr })));
    });
    expect(panels.length).toBeGreaterThan(20);
    // Grafana's own variables, as Grafana would substitute them.
    const concrete = (e: string) => e.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$tenant', '.*');
    const empty: string[] = [];
    for (const p of panels) {
      // Rates need a couple of scrapes after the traffic; keep some flowing while waiting.
      const got = await prom
        .until(`series for ${p.where}`, async () => {
          const r = await prom.query(concrete(p.expr));
          if (r.length > 0) return r;
          await traffic(3, 2);
          return undefined;
        }, 20_000)
        .catch(() => []);
      if (got.length === 0) empty.push(`${p.where}: ${p.expr}`);
    }
    expect(empty).toEqual([]);
  }, 300_000);
});
