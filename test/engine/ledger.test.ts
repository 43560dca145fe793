import { describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { CostLedger } from '../../engine/ledger.js';
import { simPolicy } from '../support/policies.js';

describe('CostLedger', () => {
  it('sums the settled records by tenant, model, rule and day, and agrees with the log', async () => {
    const sink = new MemoryDecisionSink();
    let now = Date.parse('2025-03-01T10:00:00Z');
    const tg = createTollgate({
      policy: simPolicy({ rules: [{ name: 'code', when: { tasks: ['code'] }, models: ['big'] }, { name: 'rest', qualityFloor: 0.5 }] }),
      decisionLog: sink,
      clock: () => now,
    });
    const tenants = ['a', 'b', 'a', 'c', 'a'];
    for (const [i, tenant] of tenants.entries()) {
      now += 12 * 3_600_000; // spreads over three days
      const content = i % 2 ? 'Write a TypeScript function that reverses a list.' : 'Hello, how are you?';
      await tg.complete({ tenant, messages: [{ role: 'user', content }], maxOutputTokens: 200 });
    }
    await tg.complete({ tenant: 'a', model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
    const replay = new CostLedger();
    for (const r of sink.records) replay.record(r);
    for (const by of ['tenant', 'model', 'rule', 'day', 'tier'] as const) expect(replay.rows(by)).toEqual(tg.ledger.rows(by));

    const total = tg.ledger.total();
    expect(total.requests).toBe(6);
    expect(total.errors).toBe(1);
    expect(total.fullMicros).toBe(sink.records.reduce((s, r) => s + r.cost.full, 0));
    expect(total.vendorMicros + total.infraMicros + total.opsMicros).toBe(total.fullMicros);
    expect(total.fullPerMillionMicros).toBe(Math.round((total.fullMicros * 1e6) / (total.inputTokens + total.outputTokens)));
    const byTenant = Object.fromEntries(tg.ledger.rows('tenant').map((r) => [r.key, r.requests]));
    expect(byTenant).toEqual({ a: 4, b: 1, c: 1 });
    expect(tg.ledger.rows('rule').map((r) => r.key).sort()).toEqual(['(none)', 'code', 'rest']);
    expect(tg.ledger.rows('day')).toHaveLength(3);
    const byTenantA = tg.ledger.rows('tenant').find((r) => r.key === 'a')!;
    expect(byTenantA.tokensPerRequest).toBeCloseTo((byTenantA.inputTokens + byTenantA.outputTokens) / 4, 6);
  });
});
