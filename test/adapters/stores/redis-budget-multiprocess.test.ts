import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisBudgetStore } from '../../../adapters/stores/redis-budget-store.js';
import { planBudgets } from '../../../engine/budget-plan.js';
import type { OpResult, Phase } from '../../support/budget-child.js';
import { connectTestRedis, deletePrefix, testPrefix, TEST_REDIS_URL } from '../../support/redis.js';

const child = fileURLToPath(new URL('../../support/budget-child.ts', import.meta.url));
const prefix = testPrefix();
const BUDGET_MICROS = 8_000_000;
const tenants = { acme: { budgets: [{ window: 'month' as const, usd: BUDGET_MICROS / 1e6 }], actions: [] } };
let redis: Redis;
let children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await connectTestRedis();
  children = [0, 1, 2, 3].map((i) =>
    fork(child, [JSON.stringify({ url: TEST_REDIS_URL, tenants, ops: 2_500, child: i })], { execArgv: ['--import', 'jiti/register'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  await Promise.all(children.map((c) => reply(c)));
});
afterAll(async () => {
  for (const c of children) if (c.connected) c.send({ done: true });
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
  if (redis) {
    await deletePrefix(redis, prefix);
    await redis.quit();
  }
});

/** The child's next message; fails (instead of hanging) if the child dies first. */
async function reply<T>(c: ChildProcess): Promise<[T]> {
  const exited = once(c, 'exit').then(([code]) => {
    throw new Error(`budget child ${c.pid} exited with ${String(code)} before answering`);
  });
  return Promise.race([once(c, 'message') as Promise<[T]>, exited]);
}

/** 4 processes × 2,500 concurrent reserve→settle/refund operations against one Redis budget. */
async function storm(keyPrefix: string, maxOverFactor: number): Promise<{ results: OpResult[]; counter: { micros: number; tokens: number } }> {
  const phase: Phase = { prefix: keyPrefix, maxOverFactor };
  const replies = children.map((c) => reply<{ results: OpResult[] }>(c));
  for (const c of children) c.send({ phase });
  const results = (await Promise.all(replies)).flatMap(([m]) => m.results);
  const store = new RedisBudgetStore({ redis, tenants, keyPrefix });
  const scope = planBudgets('acme', tenants.acme, [], Date.now()).scopes[0]!;
  const h = await redis.hgetall(store.counterKey(scope));
  return { results, counter: { micros: Number(h['m:0'] ?? 0), tokens: Number(h['t:0'] ?? 0) } };
}

function check(results: OpResult[], counter: { micros: number; tokens: number }): { overspend: number; bound: number } {
  expect(results).toHaveLength(10_000);
  expect(new Set(results.map((r) => r.id)).size).toBe(10_000);
  const byOutcome: Partial<Record<OpResult['outcome'], OpResult[]>> = {};
  for (const r of results) (byOutcome[r.outcome] ??= []).push(r);
  expect(byOutcome.error ?? []).toEqual([]);
  for (const r of byOutcome.refused ?? []) expect(r.code).toBe('budget_exceeded');
  const settled = byOutcome.settled ?? [];
  expect(settled.length).toBeGreaterThan(1_000);
  expect((byOutcome.refused ?? []).length).toBeGreaterThan(1_000);
  // The ledger (sum of what each process settled) equals Redis, in money and tokens.
  expect(counter.micros).toBe(settled.reduce((s, r) => s + r.actual, 0));
  expect(counter.tokens).toBe(settled.reduce((s, r) => s + r.actualTokens, 0));
  // Documented bound: Σ (actual − reserved)⁺ over requests still in flight at the last admission.
  // Any request whose settle finished before the last admitted reserve was even sent cannot be one.
  const admitted = results.filter((r) => r.outcome !== 'refused');
  const lastSent = Math.max(...admitted.map((r) => r.reserveSentAt));
  const bound = settled.filter((r) => r.doneAt >= lastSent).reduce((s, r) => s + Math.max(0, r.actual - r.reserved), 0);
  return { overspend: Math.max(0, counter.micros - BUDGET_MICROS), bound };
}

describe('RedisBudgetStore across 4 processes (acceptance)', () => {
  it('10,000 concurrent operations with actual ≤ reserved: settled spend never exceeds the budget', async () => {
    const { results, counter } = await storm(`${prefix}capped:`, 1);
    const { overspend, bound } = check(results, counter);
    expect(bound).toBe(0);
    expect(overspend).toBe(0);
    expect(counter.micros).toBeLessThanOrEqual(BUDGET_MICROS);
  }, 60_000);

  it('10,000 concurrent operations, settling at 0.3–2× their reservation: overspend within the documented bound', async () => {
    const { results, counter } = await storm(`${prefix}over:`, 2);
    const { overspend, bound } = check(results, counter);
    console.info(`multi-process storm: settled ${counter.micros} µ$ of ${BUDGET_MICROS}; overspend ${overspend} ≤ bound ${bound}`);
    expect(overspend).toBeLessThanOrEqual(bound);
  }, 60_000);
});
