import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey } from '../../gateway/api-keys.js';
import { createRedisClient } from '../../adapters/redis/index.js';
import { RedisBudgetStore } from '../../adapters/stores/redis-budget-store.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { PolicyInput } from '../../policies/schema.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';
import { connectTestPg, dropSchema, TEST_PG_URL, testSchema } from '../support/postgres.js';
import { answered, type Outcome, type Replica, send, startReplica } from './fleet-harness.js';

/**
 * Redis stopped mid-load under a fleet: two replicas with `onStoreUnavailable: fail-closed` and two with
 * `fail-open` (cap per replica), all on a redis-server of this test's own (spare port, no persistence:
 * it comes back empty) and one PostgreSQL schema. Checks what docs/budgets.md says each mode does.
 */
const UPSTREAM_KEY = 'sk-upstream-outage-123456';
const PORT = 7390 + Math.floor(Math.random() * 500);
const REDIS_URL = `redis://127.0.0.1:${PORT}`;
const PER_MODE = 400;
const IN_FLIGHT = 8;
const CAP_USD = 0.0005;
const tenants = { acme: { budgets: [{ window: 'month' as const, usd: 100 }], actions: [] } };

let server: ChildProcess | undefined;
let vendor: FakeVendor;
let admin: pg.Pool;
let probe: Redis;
let dir: string;
const schema = testSchema('tgoutage');
const replicas: Record<'closed' | 'open', Replica[]> = { closed: [], open: [] };
let key: string;

async function startRedis(): Promise<void> {
  server = spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  server.on('error', (e) => {
    throw new Error(`redis-server could not start (${e.message}); install it (apt-get install redis-server)`);
  });
  for (let i = 0; i < 400; i++) {
    if ((await probe.ping().catch(() => '')) === 'PONG') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on port ${PORT} did not answer`);
}

async function stopRedis(): Promise<void> {
  const s = server!;
  server = undefined;
  s.kill('SIGKILL');
  await once(s, 'exit');
}

beforeAll(async () => {
  admin = await connectTestPg();
  probe = await createRedisClient(REDIS_URL, { retryStrategy: () => 50 });
  await startRedis();
  vendor = await startFakeVendor({ apiKey: UPSTREAM_KEY });
  dir = mkdtempSync(join(tmpdir(), 'tg-outage-'));
  const keysPath = join(dir, 'keys.json');
  key = addKey(keysPath, 'acme');
  const start = (mode: 'closed' | 'open') => {
    const extra: Partial<PolicyInput> = { retry: { maxAttempts: 1, timeoutMs: 5000 }, tenants, onStoreUnavailable: mode === 'closed' ? 'fail-closed' : 'fail-open', failOpenSpendCapUsd: CAP_USD };
    const policyPath = join(dir, `policy-${mode}.json`);
    writeFileSync(policyPath, JSON.stringify(httpPolicy(vendor.url, { primary: 'ok' }, extra)));
    const args = ['--policy', policyPath, '--keys', keysPath, '--redis', REDIS_URL, '--redis-prefix', `outage-${mode}:`, '--db', TEST_PG_URL, '--db-schema', schema];
    return startReplica(args, { TOLLGATE_TEST_KEY: UPSTREAM_KEY });
  };
  // All four at once: the first to take the migration lock migrates the schema, the others find it done.
  const [c1, c2, o1, o2] = await Promise.all([start('closed'), start('closed'), start('open'), start('open')]);
  replicas.closed.push(c1!, c2!);
  replicas.open.push(o1!, o2!);
}, 180_000); // four `serve` processes starting at once

afterAll(async () => {
  const all = [...replicas.closed, ...replicas.open];
  for (const r of all) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  await Promise.all(all.map((r) => r.exited));
  if (server) await stopRedis();
  probe?.disconnect();
  await vendor?.close();
  await dropSchema(admin, schema);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

async function load(mode: 'closed' | 'open', ports: number[], onOutcome: () => Promise<void>): Promise<Outcome[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const out: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < PER_MODE) {
        const i = next++;
        out.push(await send(ports[i % ports.length]!, agent, key, 'acme', `${mode}-${i}`));
        await onOutcome();
      }
    }),
  );
  agent.destroy();
  return out;
}

const records = async (prefix: string): Promise<Map<string, DecisionRecord>> => {
  const r = await admin.query(`SELECT request_id, record FROM "${schema}".decisions WHERE request_id LIKE $1`, [`${prefix}-%`]);
  return new Map(r.rows.map((x) => [x.request_id as string, x.record as DecisionRecord]));
};

const isStoreUnavailable = (o: Outcome): boolean => answered(o) && o.status === 503 && /store_unavailable/.test(o.body);

describe('Redis stopped mid-load under a fleet', () => {
  it('fail-closed refuses with a typed 503 and spends nothing; fail-open serves up to each replica\'s cap, then closes; spend made while open reaches Redis when it returns', async () => {
    let outcomes = 0;
    let phase: 'up' | 'down' | 'back' = 'up';
    let restarting: Promise<void> | undefined;
    const tick = async (): Promise<void> => {
      outcomes++;
      if (phase === 'up' && outcomes >= 150) {
        phase = 'down';
        await stopRedis();
      } else if (phase === 'down' && outcomes >= 450) {
        phase = 'back';
        restarting = startRedis();
      }
    };
    const [closed, open] = await Promise.all([
      load('closed', replicas.closed.map((r) => r.port), tick),
      load('open', replicas.open.map((r) => r.port), tick),
    ]);
    await restarting;

    // Every request got an answer: 200, or a typed 503 store_unavailable; never a hang or a 500.
    for (const o of [...closed, ...open]) expect(answered(o) && (o.status === 200 || isStoreUnavailable(o)), JSON.stringify(o).slice(0, 300)).toBe(true);

    // fail-closed: refusals happened; each is logged as what was decided, with nothing spent and no model called.
    const closedRecs = await records('closed');
    const refusedClosed = closed.filter(isStoreUnavailable);
    expect(refusedClosed.length).toBeGreaterThan(20);
    for (const o of refusedClosed) {
      const r = closedRecs.get(o.id)!;
      expect(r.error?.code).toBe('store_unavailable');
      expect(r.cost.full).toBe(0);
      expect(r.model).toBeUndefined();
    }
    const called = new Set(vendor.requests.map((q) => JSON.stringify(q.body)));
    expect(refusedClosed.filter((o) => [...called].some((b) => b.includes(`fleet request ${o.id}"`)))).toEqual([]);
    expect([...closedRecs.values()].some((r) => r.actions?.includes('store_unavailable:fail-open'))).toBe(false);

    // fail-open: served while Redis was down (logged with the action), at most the cap per replica, then closed.
    const openRecs = await records('open');
    const served = [...openRecs.values()].filter((r) => r.actions?.includes('store_unavailable:fail-open'));
    expect(served.length).toBeGreaterThan(0);
    const openSpend = served.reduce((a, r) => a + r.cost.full, 0);
    expect(openSpend).toBeLessThanOrEqual(replicas.open.length * CAP_USD * 1_000_000);
    expect(open.filter(isStoreUnavailable).length).toBeGreaterThan(0); // the caps closed it

    // Every answered request of both modes is in PostgreSQL exactly once.
    for (const [outs, recs] of [[closed, closedRecs], [open, openRecs]] as const) for (const o of outs) expect(recs.get(o.id)?.requestId).toBe(o.id);
    const dupes = await admin.query(`SELECT request_id FROM "${schema}".decisions GROUP BY 1 HAVING count(*) > 1`);
    expect(dupes.rows).toEqual([]);

    // Redis is back (empty): the spend queued while it was away — fail-open spend and settles that could
    // not reach it — is applied by the replicas (retried every second), so Redis holds at least that.
    const queued = [...openRecs.values()].filter((r) => r.actions?.some((a) => a === 'store_unavailable:fail-open' || a === 'budget:settle_queued'));
    const expected = queued.reduce((a, r) => a + r.cost.full, 0);
    expect(expected).toBeGreaterThanOrEqual(openSpend);
    const store = new RedisBudgetStore({ redis: probe, tenants, keyPrefix: 'outage-open:' });
    let used = 0;
    for (let i = 0; i < 200 && used < expected; i++) {
      used = (await store.usage('acme')).find((u) => u.dimension === 'micros')!.used;
      if (used < expected) await new Promise((r) => setTimeout(r, 50));
    }
    expect(used).toBeGreaterThanOrEqual(expected);

    // And both fleets serve normally again.
    const agent = new Agent({ keepAlive: false });
    for (const r of [...replicas.closed, ...replicas.open]) {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        const o = await send(r.port, agent, key, 'acme', `after-${r.port}-${i}`);
        status = answered(o) ? o.status : 0;
        if (status !== 200) await new Promise((res) => setTimeout(res, 50));
      }
      expect(status).toBe(200);
    }
  }, 240_000);
});
