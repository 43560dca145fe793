import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey } from '../../gateway/api-keys.js';
import { chargebackDecisionStore, PostgresDecisionQueries } from '../../offline/reporting/index.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';
import { connectTestPg, dropSchema, TEST_PG_URL, testSchema } from '../support/postgres.js';
import { connectTestRedis, deletePrefix, TEST_REDIS_URL, testPrefix } from '../support/redis.js';
import { cli, expectOneLineError } from '../cli/capture-io.js';
import { answered, type Outcome, type Replica, send, startReplica } from './fleet-harness.js';

/**
 * One budget across a fleet: 3 `tollgate serve` processes share one Redis (budgets, rate limits) and one
 * PostgreSQL decision store (a schema of its own, dropped after). 6,000 requests spread over them, with
 * two tenants' daily budgets running out mid-run; then one replica is SIGKILLed mid-load and restarted.
 */
const UPSTREAM_KEY = 'sk-upstream-fleet-123456';
const TOTAL = 6000;
const IN_FLIGHT = 48;
/** Daily budgets (USD): run out mid-run for acme and globex; initech has none. */
const BUDGETS = { acme: 0.004, globex: 0.007 };
const TENANTS = ['acme', 'globex', 'initech'] as const;

let vendor: FakeVendor;
let dir: string;
let admin: pg.Pool;
let redis: Redis;
const schema = testSchema('tgfleet');
const prefix = testPrefix();
const keys: Record<string, string> = {};
let serveArgs: string[];
const replicas: Replica[] = [];

beforeAll(async () => {
  [admin, redis] = await Promise.all([connectTestPg(), connectTestRedis()]);
  // 15 ms of vendor latency keeps answered-to-be requests in flight inside each replica, so the SIGKILL
  // below always cuts some (without it a quiet machine can find the victim with nothing in flight).
  vendor = await startFakeVendor({ apiKey: UPSTREAM_KEY, latencyMs: 15 });
  dir = mkdtempSync(join(tmpdir(), 'tg-fleet-'));
  const policyPath = join(dir, 'policy.json');
  const keysPath = join(dir, 'keys.json');
  writeFileSync(
    policyPath,
    JSON.stringify(
      httpPolicy(vendor.url, { primary: 'ok' }, {
        retry: { maxAttempts: 1, timeoutMs: 5000 },
        tenants: { acme: { budgets: [{ window: 'day', usd: BUDGETS.acme }] }, globex: { budgets: [{ window: 'day', usd: BUDGETS.globex }] }, initech: {} },
      }),
    ),
  );
  for (const t of TENANTS) keys[t] = addKey(keysPath, t);
  serveArgs = ['--policy', policyPath, '--keys', keysPath, '--redis', TEST_REDIS_URL, '--redis-prefix', prefix, '--db', TEST_PG_URL, '--db-schema', schema];
  const env = { TOLLGATE_TEST_KEY: UPSTREAM_KEY };
  replicas.push(...(await Promise.all([0, 1, 2].map(() => startReplica(serveArgs, env)))));
}, 180_000); // three `serve` processes starting through jiti: ~10 s each on a quiet 2-core machine, far more under load

afterAll(async () => {
  for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  await Promise.all(replicas.map((r) => r.exited));
  await vendor?.close();
  await dropSchema(admin, schema);
  await deletePrefix(redis, prefix);
  await admin.end();
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends `count` requests round-robin over `ports()` with IN_FLIGHT in flight; `onAnswer` may kill a replica. */
async function load(tag: string, count: number, ports: () => number[], onAnswer?: (n: number) => void): Promise<Outcome[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const out: Outcome[] = [];
  let next = 0;
  let ok = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const p = ports();
      const tenant = TENANTS[i % 3]!;
      const o = await send(p[i % p.length]!, agent, keys[tenant]!, tenant, `${tag}-${i}`);
      out.push(o);
      if (answered(o) && o.status === 200) onAnswer?.(++ok);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  agent.destroy();
  return out;
}

const inDb = async (ids: string[]): Promise<Map<string, number>> => {
  const r = await admin.query(`SELECT request_id, count(*)::int AS n FROM "${schema}".decisions WHERE request_id = ANY($1) GROUP BY 1`, [ids]);
  return new Map(r.rows.map((x) => [x.request_id as string, x.n as number]));
};

describe('a fleet of 3 gateways with one Redis and one PostgreSQL', () => {
  it('keeps one budget per tenant, logs each answered request exactly once, and chargeback equals the cost headers', async () => {
    const ports = replicas.map((r) => r.port);
    const outcomes = await load('fleet', TOTAL, () => ports);
    expect(outcomes).toHaveLength(TOTAL);
    const failed = outcomes.filter((o) => !answered(o));
    expect(failed).toEqual([]);
    const done = outcomes.filter(answered);
    const ok = done.filter((o) => o.status === 200);
    const refused = done.filter((o) => o.status === 429 && /budget_exceeded/.test(o.body));
    const other = done.filter((o) => o.status !== 200 && !(o.status === 429 && /budget_exceeded/.test(o.body)));
    expect(other.map((o) => `${o.status} ${o.body.slice(0, 200)}`)).toEqual([]);
    expect(ok.length + refused.length).toBe(TOTAL); // every request answered or refused for budget
    for (const t of ['acme', 'globex'] as const) {
      const mine = done.filter((o) => o.tenant === t);
      // the budget ran out mid-run: answers first, then refusals
      expect(mine.filter((o) => o.status === 200).length).toBeGreaterThan(50);
      expect(mine.filter((o) => o.status === 429).length).toBeGreaterThan(50);
    }
    expect(done.filter((o) => o.tenant === 'initech').every((o) => o.status === 200)).toBe(true);

    // Overspend within the documented bound (docs/budgets.md): with output capped at max_tokens and the
    // reservation at that cap, settled spend never exceeds the limit; the looser bound is what requests
    // in flight at the last admission could add beyond their reservations (≤ IN_FLIGHT × the largest cost).
    const maxCost = Math.max(...ok.map((o) => o.cost!));
    for (const t of ['acme', 'globex'] as const) {
      const spent = ok.filter((o) => o.tenant === t).reduce((a, o) => a + o.cost!, 0);
      const limit = BUDGETS[t] * 1_000_000;
      expect(spent).toBeLessThanOrEqual(limit + IN_FLIGHT * maxCost);
      expect(spent).toBeLessThanOrEqual(limit); // the tight form: actual ≤ reserved here
      expect(spent).toBeGreaterThan(limit * 0.9); // and the budget was really used up
    }

    // PostgreSQL holds each answered request exactly once (refusals are logged too, once each).
    const counts = await inDb(done.map((o) => o.id));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(TOTAL);
    const byOutcome = await admin.query(`SELECT outcome, count(*)::int AS n FROM "${schema}".decisions WHERE request_id LIKE 'fleet-%' GROUP BY 1 ORDER BY 1`);
    expect(Object.fromEntries(byOutcome.rows.map((r) => [r.outcome, r.n]))).toEqual({ ok: ok.length, refused: refused.length });

    // Chargeback from PostgreSQL (SQL over the rollups) equals the sum of the answered responses' cost headers.
    const q = await PostgresDecisionQueries.open(TEST_PG_URL, schema);
    const month = new Date().toISOString().slice(0, 7);
    const cb = await chargebackDecisionStore(q, { month });
    await q.close();
    for (const t of TENANTS) {
      const headers = ok.filter((o) => o.tenant === t).reduce((a, o) => a + o.cost!, 0);
      expect(cb.tenants.find((r) => r.tenant === t)?.fullMicros).toBe(headers);
    }
    expect(cb.total.fullMicros).toBe(ok.reduce((a, o) => a + o.cost!, 0));
    expect(cb.total.requests).toBe(TOTAL);
  }, 240_000);

  it('has every answered request in PostgreSQL after a replica is SIGKILLed mid-load and restarted', async () => {
    const ports = replicas.map((r) => r.port);
    const victim = replicas[1]!;
    let restarted: Promise<void> | undefined;
    const outcomes = await load('kill', 1500, () => ports, (n) => {
      if (n !== 400) return;
      victim.child.kill('SIGKILL');
      ports.splice(1, 1); // the load balancer takes it out …
      restarted = startReplica(serveArgs, { TOLLGATE_TEST_KEY: UPSTREAM_KEY }).then((r) => {
        replicas.push(r);
        ports.push(r.port); // … and the restarted replica back in
      });
    });
    await restarted;
    expect(await victim.exited).toBe('SIGKILL');
    expect(outcomes.some((o) => !answered(o))).toBe(true); // the kill really cut requests in flight
    const done = outcomes.filter(answered);
    expect(done.length).toBeGreaterThan(1000);
    expect(done.every((o) => o.status === 200 || o.status === 429)).toBe(true);
    const counts = await inDb(done.map((o) => o.id));
    const missing = done.filter((o) => counts.get(o.id) !== 1);
    expect(missing).toEqual([]);
    // The restarted replica serves and logs too.
    const last = replicas.at(-1)!;
    const agent = new Agent({ keepAlive: false });
    const o = await send(last.port, agent, keys.initech!, 'initech', 'after-restart-1');
    expect(answered(o) && o.status).toBe(200);
    expect((await inDb(['after-restart-1'])).get('after-restart-1')).toBe(1);
  }, 240_000);

  it('refuses to start with an unreachable or wrong database URL: one clear line, non-zero exit', async () => {
    const base = serveArgs.slice(0, serveArgs.indexOf('--db'));
    expectOneLineError(await cli('serve', '--port', '0', ...base, '--db', 'postgres://postgres@127.0.0.1:1/test'), /^error \[db_unavailable\]: Cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test: /);
    const wrong = await cli('serve', '--port', '0', ...base, '--db', 'postgres://postgres:sekret@127.0.0.1:5432/no_such_db_fleet');
    expectOneLineError(wrong, /db_unavailable.*no_such_db_fleet/);
    expect(wrong.err).not.toContain('sekret');
    const bare = [...serveArgs.slice(0, serveArgs.indexOf('--redis')), '--log', join(dir, 'never.jsonl')];
    expectOneLineError(await cli('serve', '--port', '0', ...bare, '--cache-ttl', '60'), /--cache-ttl needs --redis/);
    expectOneLineError(await cli('serve', '--port', '0', ...base, '--db', TEST_PG_URL, '--db-schema', 'bad-name!'), /Invalid PostgreSQL schema name/);
  });
});
