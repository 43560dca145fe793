import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogReport } from '../../../offline/reporting/index.js';
import type { ChargebackReport } from '../../../offline/billing/index.js';
import { COST_AWARE, tempDir, writeGeneratedTrace } from '../../offline/simulation/fixtures.js';
import { cli, expectOneLineError } from '../../cli/capture-io.js';
import { connectTestPg, dropSchema, TEST_PG_URL, testSchema } from '../../support/postgres.js';
import { PostgresDecisionQueries } from '../../../offline/reporting/index.js';
import { readLogViews, readLogViewsFromStore } from '../../../playground/server/index.js';

/**
 * Reports where the data is: a run's JSONL decision log, imported into PostgreSQL with `tollgate db
 * import`, gives the same `report` (every dimension) and `chargeback` from SQL over the rollups as from
 * the file, field for field; `explain --id` finds the same record; `reconcile` compares the same totals.
 */
let admin: pg.Pool;
let dir: string;
let log: string;
const schema = testSchema('tgrep');
const db = ['--db', TEST_PG_URL, '--db-schema', schema];

beforeAll(async () => {
  admin = await connectTestPg();
  dir = tempDir('tollgate-pg-reports-');
  const trace = await writeGeneratedTrace(dir, 1500, 'pg-reports');
  const r = await cli('simulate', '--policy', COST_AWARE, '--trace', trace, '--json', '--out', join(dir, 'logs'));
  expect(r.code).toBe(0);
  log = join(dir, 'logs', 'cost-aware.decisions.jsonl');
  const imp = await cli('db', 'import', log, ...db);
  expect(imp.err).toBe('');
  expect(imp.out).toMatch(/^imported 1,500 records and 0 feedback lines/);
}, 120_000);
afterAll(async () => {
  await dropSchema(admin, schema);
  await admin.end();
});

const json = <T>(r: { code: number; out: string; err: string }): T => {
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as T;
};

describe('reports from PostgreSQL equal those from the JSONL log', () => {
  it('report: every dimension, totals, inflation and top drivers', async () => {
    for (const by of ['tenant', 'model', 'rule', 'day', 'tier', 'serviceTier']) {
      const fromLog = json<LogReport>(await cli('report', '--log', log, '--by', by, '--json'));
      const fromDb = json<LogReport>(await cli('report', ...db, '--by', by, '--json'));
      expect(fromDb.log).toBe(`postgres:${schema}`);
      expect({ ...fromDb, log: log }).toEqual(fromLog);
    }
  });

  it('chargeback: tenants, cost centres and total, every month of the log', async () => {
    const days = json<LogReport>(await cli('report', '--log', log, '--by', 'day', '--json')).inflation.days.map((d) => d.day);
    const months = [...new Set(days.map((d) => d.slice(0, 7)))];
    expect(months.length).toBeGreaterThan(0);
    for (const month of [...months, '2001-01']) {
      const args = ['--month', month, '--policy', COST_AWARE, '--format', 'json'];
      const fromLog = json<ChargebackReport>(await cli('chargeback', '--log', log, ...args));
      const fromDb = json<ChargebackReport>(await cli('chargeback', ...db, ...args));
      expect(fromDb).toEqual(fromLog);
      // The vendor cost parts (#15 item 6) are among the fields compared: the simulated vendors' records carry them.
      const t = fromDb.total;
      expect(t.vendorInputMicros + t.vendorCachedInputMicros + t.vendorCacheWriteMicros + t.vendorOutputMicros + t.vendorUnsplitMicros).toBe(t.vendorMicros);
      if (month !== '2001-01') expect(t.vendorOutputMicros).toBeGreaterThan(0);
    }
  });

  it('explain --id: the same logged record from either store', async () => {
    const recent = await admin.query(`SELECT request_id FROM "${schema}".decisions ORDER BY time DESC LIMIT 1`);
    const id = recent.rows[0].request_id as string;
    const fromLog = json<object>(await cli('explain', '--id', id, '--log', log, '--json'));
    const fromDb = json<object>(await cli('explain', '--id', id, ...db, '--json'));
    expect(fromDb).toEqual(fromLog);
    const text = await cli('explain', '--id', id, ...db);
    expect(text.out).toMatch(new RegExp(`^request ${id} at `));
    expect(text.out).toMatch(/\ncost: full \$/);
    expectOneLineError(await cli('explain', '--id', 'no-such-id', ...db), /no logged request with id no-such-id/);
  });

  it("the playground's log views: the same executive and on-call views, the same latest records", async () => {
    const q = await PostgresDecisionQueries.open(TEST_PG_URL, schema);
    const fromDb = await readLogViewsFromStore(q);
    await q.close();
    const fromLog = await readLogViews(log);
    expect(fromDb.records).toBe(fromLog.records);
    expect(fromDb.executive).toEqual(fromLog.executive);
    expect(fromDb.oncall).toEqual(fromLog.oncall); // the generated trace spans less than the 24 h replayed
    expect(new Set(fromDb.recent.map((r) => r.requestId))).toEqual(new Set(fromLog.recent.map((r) => r.requestId)));
    expect(fromDb.file).toBe(`postgres:${schema}`);
  });

  it('db import twice adds nothing (idempotent on request id)', async () => {
    const before = await admin.query(`SELECT count(*) AS n, (SELECT sum(requests) FROM "${schema}".daily_rollup) AS r FROM "${schema}".decisions`);
    await cli('db', 'import', log, ...db);
    const after = await admin.query(`SELECT count(*) AS n, (SELECT sum(requests) FROM "${schema}".daily_rollup) AS r FROM "${schema}".decisions`);
    expect(after.rows[0]).toEqual(before.rows[0]);
    expect(Number(after.rows[0].n)).toBe(1500);
  });

  it('reconcile: the same comparison with a vendor export, discrepancies and explaining requests included', async () => {
    const fix = join(import.meta.dirname, '..', '..', 'fixtures', 'reconcile');
    const rschema = testSchema('tgrec');
    try {
      expect((await cli('db', 'import', join(fix, 'decisions.jsonl'), '--db', TEST_PG_URL, '--db-schema', rschema)).code).toBe(0);
      for (const usage of [['usage-matching.csv', 'costs-matching.csv'], ['usage-planted.csv'], ['costs-price-change.csv']]) {
        const args = ['--usage', ...usage.map((u) => join(fix, u)), '--format', 'json'];
        const fromLog = await cli('reconcile', '--log', join(fix, 'decisions.jsonl'), ...args);
        const fromDb = await cli('reconcile', '--db', TEST_PG_URL, '--db-schema', rschema, ...args);
        expect(fromDb.code).toBe(fromLog.code);
        expect(JSON.parse(fromDb.out)).toEqual(JSON.parse(fromLog.out));
      }
    } finally {
      await dropSchema(admin, rschema);
    }
  });

  it('db migrate: applies once, then has nothing to apply; refuses a newer schema', async () => {
    const mschema = testSchema('tgmig');
    try {
      const first = await cli('db', 'migrate', '--db', TEST_PG_URL, '--db-schema', mschema);
      expect(first.out).toMatch(new RegExp(`^schema ${mschema}: migrated 0 → 2 \\(applied 1, 2\\)`));
      expect((await cli('db', 'migrate', '--db', TEST_PG_URL, '--db-schema', mschema)).out).toBe(`schema ${mschema}: at version 2, nothing to apply\n`);
      await admin.query(`INSERT INTO "${mschema}".schema_migrations (version, name) VALUES (99, 'future')`);
      expectOneLineError(await cli('db', 'migrate', '--db', TEST_PG_URL, '--db-schema', mschema), /db_schema_too_new.*version 99, newer than this Tollgate supports \(2\)/);
      expectOneLineError(await cli('report', '--db', TEST_PG_URL, '--db-schema', mschema), /db_schema_too_new/);
    } finally {
      await dropSchema(admin, mschema);
    }
  });

  it('bad input: one line, non-zero exit', async () => {
    expectOneLineError(await cli('report', '--db', 'postgres://postgres@127.0.0.1:1/test'), /^error \[db_unavailable\]: Cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
    expectOneLineError(await cli('report', '--db', TEST_PG_URL, '--db-schema', 'never_migrated_tg'), /db_schema_old.*run `tollgate db migrate`/);
    expectOneLineError(await cli('report', '--log', log, ...db), /either --log or --db, not both/);
    expectOneLineError(await cli('chargeback', '--month', '2025-01'), /give --log FILE/);
  });
});
