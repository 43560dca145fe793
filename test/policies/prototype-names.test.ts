import { describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { PolicyError } from '../../policies/errors.js';
import { resolvePolicy } from '../../policies/loader.js';
import type { PolicyInput } from '../../policies/schema.js';
import { simPolicy } from '../support/policies.js';

const ask = (tenant: string) => ({ tenant, messages: [{ role: 'user' as const, content: 'hello there' }], maxOutputTokens: 50 });

describe('prototype names as tenants (issue #14, item 6)', () => {
  it('serves tenants named constructor, toString, hasOwnProperty, valueOf and __proto__ like any other', async () => {
    const sink = new MemoryDecisionSink();
    // As a policy file would give them (an object literal's `constructor` key confuses TypeScript, not Tollgate).
    const tenants = JSON.parse('{"constructor":{"budgets":[{"window":"day","usd":1}]},"toString":{"actions":[{"atFraction":0.5,"action":"warn"}]}}') as PolicyInput['tenants'];
    const policy = simPolicy({ tenants });
    const tg = createTollgate({ policy, decisionLog: sink });
    for (const t of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', 'prototype']) {
      const r = await tg.complete(ask(t));
      expect(r.record.tenant).toBe(t);
      expect(r.record.outcome).toBe('ok');
    }
    expect(tg.ledger.rows('tenant').map((r) => r.key).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'prototype', 'toString', 'valueOf']);
  });

  it('a policy that names a tenant __proto__ is refused with a field issue, not silently dropped', () => {
    const raw = JSON.parse(JSON.stringify(simPolicy()).replace(/}$/, ',"tenants":{"__proto__":{"budgets":[{"usd":1}]}}}'));
    expect(Object.keys(raw.tenants)).toEqual(['__proto__']);
    const err = (() => {
      try {
        resolvePolicy(raw);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).issues[0]).toMatchObject({ path: 'tenants.__proto__' });
  });

  it('keeps constructor as a declared tenant and nothing else from the prototype', () => {
    const { policy } = resolvePolicy(simPolicy({ tenants: { constructor: { costCenter: 'cc' } } }));
    expect(policy.tenants['constructor' as string]?.costCenter).toBe('cc');
    expect(policy.tenants.toString).toBeUndefined();
    expect(policy.fallbacks.valueOf).toBeUndefined();
  });
});
