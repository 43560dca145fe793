import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { MemoryBudgetStore } from '../../adapters/stores/memory-budget-store.js';
import { createTollgate } from '../../compose.js';
import { TollgateMetrics } from '../../adapters/observers/prometheus-metrics.js';
import type { Policy, PolicyInput } from '../../policies/schema.js';

const TOKENS_PER_DAY = 10_000;
const policy: PolicyInput = {
  name: 'actions-e2e',
  models: [
    { id: 'vend', tier: 'vendor', adapter: 'simulated', contextWindow: 128_000, prices: { inputPerM: 0.1, outputPerM: 0.2 }, quality: 0.9 },
    { id: 'dist', tier: 'distilled', adapter: 'simulated', contextWindow: 128_000, prices: { inputPerM: 0.5, outputPerM: 1 }, quality: 0.7 },
  ],
  rules: [{ name: 'default', qualityFloor: 0.5 }],
  tenants: {},
};
const tenants: Policy['tenants'] = {
  acme: {
    budgets: [{ window: 'day', tokens: TOKENS_PER_DAY }],
    actions: [
      { atFraction: 0.3, action: 'downgrade', toTier: 'distilled' },
      { atFraction: 0.5, action: 'throttle' },
    ],
  },
};
policy.tenants = tenants;
const ask = (maxOutputTokens: number) => ({ tenant: 'acme', maxOutputTokens, messages: [{ role: 'user' as const, content: 'Say hello.' }] });

describe('limit actions end to end (engine → decision log → metrics)', () => {
  it('downgrades and throttles as the budget fills, visible in the log and in tollgate_limit_actions_total', async () => {
    const store = new MemoryBudgetStore(tenants);
    const metrics = new TollgateMetrics();
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy, budgetStore: store, decisionLog: sink, observers: [(r) => metrics.observe(r)] });

    await tg.complete(ask(1_000)); // ≈ 10% of the day's tokens: no action
    await tg.complete(ask(3_500)); // ≈ 35–45%: downgrade to the distilled tier
    const used = (await store.usage('acme'))[0]!.used;
    const started = Date.now();
    await tg.complete(ask(Math.ceil(0.51 * TOKENS_PER_DAY) - used)); // just past 50%: throttle
    const elapsed = Date.now() - started;

    const [first, second, third] = sink.records;
    expect(first!.actions ?? []).toEqual([]);
    expect(first!.model).toBe('vend');
    expect(second!.actions).toEqual(['downgrade:distilled']);
    expect(second).toMatchObject({ model: 'dist', tier: 'distilled', outcome: 'ok' });
    expect(third!.actions).toHaveLength(1);
    const delay = Number(/^throttle:(\d+)ms$/.exec(third!.actions![0]!)![1]);
    expect(delay).toBeGreaterThanOrEqual(250);
    expect(delay).toBeLessThan(1_000);
    expect(elapsed).toBeGreaterThanOrEqual(delay - 5);

    const fams = parsePrometheusTextFormat(await metrics.metrics());
    const actions = fams.find((f) => f.name === 'tollgate_limit_actions_total')!;
    const count = (action: string) => Number(actions.metrics.find((m) => m.labels?.action === action && m.labels?.tenant === 'acme')?.value);
    expect(count('downgrade')).toBe(1);
    expect(count('throttle')).toBe(1);
    const requests = fams.find((f) => f.name === 'tollgate_requests_total')!;
    expect(requests.metrics.find((m) => m.labels?.tier === 'distilled')?.value).toBe('1');
  });

  it('waits through the injected sleep when one is given (a replay on trace time passes one that returns at once)', async () => {
    const store = new MemoryBudgetStore(tenants);
    const sink = new MemoryDecisionSink();
    const waits: number[] = [];
    const tg = createTollgate({ policy, budgetStore: store, decisionLog: sink, sleep: async (ms) => void waits.push(ms) });
    await tg.complete(ask(1_000));
    await tg.complete(ask(3_500));
    const used = (await store.usage('acme'))[0]!.used;
    await tg.complete(ask(Math.ceil(0.51 * TOKENS_PER_DAY) - used));
    const delay = Number(/^throttle:(\d+)ms$/.exec(sink.records[2]!.actions![0]!)![1]);
    expect(waits).toEqual([delay]);
  });
});
