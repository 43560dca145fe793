import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, InvalidDecisionRecordError, LATEST_SCHEMA_VERSION, PostgresDecisionSink, SchemaTooNewError } from '../../../adapters/postgres/index.js';
import type { DecisionRecord } from '../../../engine/decision-record.js';
import { connectTestPg, dropSchema, TEST_PG_URL, testSchema } from '../../support/postgres.js';
import { sampleRecord } from '../../support/decision-records.js';

let admin: pg.Pool;
const schemas: string[] = [];
const fresh = (): string => {
  const s = testSchema('tgsink');
  schemas.push(s);
  return s;
};

beforeAll(async () => {
  admin = await connectTestPg();
});
afterAll(async () => {
  for (const s of schemas) await dropSchema(admin, s);
  await admin?.end();
});

const count = async (schema: string, where = 'true'): Promise<number> => Number((await admin.query(`SELECT count(*) AS n FROM "${schema}".decisions WHERE ${where}`)).rows[0].n);

async function rollupTotals(schema: string): Promise<{ requests: number; full: number; input: number }> {
  const r = await admin.query(`SELECT sum(requests) AS requests, sum(full_micros) AS full, sum(input_tokens) AS input FROM "${schema}".daily_rollup`);
  return { requests: Number(r.rows[0].requests), full: Number(r.rows[0].full), input: Number(r.rows[0].input) };
}

const sums = (rs: DecisionRecord[]) => ({ requests: rs.length, full: rs.reduce((a, r) => a + r.cost.full, 0), input: rs.reduce((a, r) => a + r.tokens.input, 0) });

describe('PostgresDecisionSink', () => {
  it('migrates on open into a day-partitioned table and records the schema version', async () => {
    const schema = fresh();
    const sink = await PostgresDecisionSink.open({ url: TEST_PG_URL, schema });
    await sink.append(sampleRecord(1));
    await sink.close();
    const v = await admin.query(`SELECT max(version) AS v FROM "${schema}".schema_migrations`);
    expect(v.rows[0].v).toBe(LATEST_SCHEMA_VERSION);
    const part = await admin.query(`SELECT partstrat FROM pg_partitioned_table WHERE partrelid = $1::regclass`, [`"${schema}".decisions`]);
    expect(part.rows[0].partstrat).toBe('r');
    const kids = await admin.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`, [`"${schema}".decisions`]);
    expect(kids.rows.map((r) => r.relname)).toContain('decisions_20260302');
    // a second open (another replica, a restart) applies nothing and keeps the data
    const again = await PostgresDecisionSink.open({ url: TEST_PG_URL, schema });
    await again.close();
    expect(await count(schema)).toBe(1);
  });

  it('group-commits concurrent appends, each resolved only once its row is committed, and keeps the rollups equal to the records', async () => {
    const schema = fresh();
    const sink = await PostgresDecisionSink.open({ url: TEST_PG_URL, schema, maxBatch: 200 });
    const records = Array.from({ length: 1500 }, (_, i) => sampleRecord(i));
    const seen: number[] = [];
    await Promise.all(
      records.map((r, i) =>
        sink.append(r).then(async () => {
          if (i % 250 === 0) seen.push(await count(schema, `request_id = '${r.requestId}'`));
        }),
      ),
    );
    expect(seen.every((n) => n === 1)).toBe(true);
    expect(await count(schema)).toBe(1500);
    const batches = await admin.query(`SELECT count(DISTINCT xmin::text) AS n FROM "${schema}".decisions`);
    expect(Number(batches.rows[0].n)).toBeLessThan(100); // grouped, not one transaction per record
    expect(await rollupTotals(schema)).toEqual(sums(records));
    // idempotent on request id: the same records again add nothing, to the table or to the rollups
    await Promise.all(records.slice(0, 300).map((r) => sink.append(r)));
    await sink.close();
    expect(await count(schema)).toBe(1500);
    expect(await rollupTotals(schema)).toEqual(sums(records));
    await expect(sink.append(sampleRecord(9999))).rejects.toMatchObject({ code: 'sink_closed' });
  });

  it('never inserts a record that fails validation (typed error) and still writes the valid ones of the same batch', async () => {
    const schema = fresh();
    const sink = await PostgresDecisionSink.open({ url: TEST_PG_URL, schema });
    const bad = { ...sampleRecord(2), requestId: 'bad-1', cost: { vendor: -5, infra: 0, ops: 0, full: -5 } } as DecisionRecord;
    const badTime = { ...sampleRecord(5), requestId: 'bad-2', time: 'yesterday' } as DecisionRecord;
    const nul = { ...sampleRecord(17), requestId: 'nul-1', error: { code: 'upstream_error', message: 'vendor said \u0000 oops' } } as DecisionRecord;
    const results = await Promise.allSettled([sink.append(sampleRecord(1)), sink.append(bad), sink.append(sampleRecord(3)), sink.append(badTime), sink.append(nul)]);
    await sink.close();
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    for (const i of [1, 3]) {
      const err = (results[i] as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(InvalidDecisionRecordError);
      expect(err.code).toBe('decision_record_invalid');
    }
    expect(await count(schema, `request_id IN ('bad-1', 'bad-2')`)).toBe(0);
    expect(await count(schema)).toBe(3);
    const stored = await admin.query(`SELECT record->'error'->>'message' AS m FROM "${schema}".decisions WHERE request_id = 'nul-1'`);
    expect(stored.rows[0].m).toBe('vendor said \ufffd oops'); // PostgreSQL cannot store U+0000
  });

  it('stores feedback lines apart from the records', async () => {
    const schema = fresh();
    const sink = await PostgresDecisionSink.open({ url: TEST_PG_URL, schema });
    await sink.append(sampleRecord(4));
    await sink.append({ v: 1, kind: 'feedback', requestId: 'req-4', score: 0.75, time: '2026-03-02T01:00:00.000Z' } as unknown as DecisionRecord);
    await sink.close();
    const f = await admin.query(`SELECT request_id, score FROM "${schema}".feedback`);
    expect(f.rows).toEqual([{ request_id: 'req-4', score: 0.75 }]);
    expect(await count(schema)).toBe(1);
  });

  it('retries a batch whose connection is dropped mid-write: every append resolves and no row is written twice', async () => {
    const schema = fresh();
    const app = `tg-drop-${schema}`;
    const sink = await PostgresDecisionSink.open({ url: TEST_PG_URL, schema, applicationName: app, concurrency: 1 });
    await sink.append(sampleRecord(0)); // partitions exist
    // Hold a lock the batch needs, so it is provably mid-write when its backend is killed.
    const blocker = await admin.connect();
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE "${schema}".daily_rollup IN EXCLUSIVE MODE`);
    const records = Array.from({ length: 400 }, (_, i) => sampleRecord(i + 1));
    const appends = Promise.all(records.map((r) => sink.append(r)));
    let killed = 0;
    for (let i = 0; i < 200 && killed === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const k = await admin.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [app]);
      killed = k.rowCount ?? 0;
    }
    await blocker.query('COMMIT');
    blocker.release();
    expect(killed).toBe(1);
    await appends;
    await sink.close();
    expect(await count(schema)).toBe(401);
    expect(await rollupTotals(schema)).toEqual(sums([sampleRecord(0), ...records]));
  });

  it('adaptive batching: a second writer starts while one is stuck (bounded wait), and every append still waits for its COMMIT', async () => {
    const schema = fresh();
    const app = `tg-adapt-${schema}`;
    const sink = await PostgresDecisionSink.open({ url: TEST_PG_URL, schema, applicationName: app, durability: 'write' }); // adaptive by default at `write`
    await sink.append(sampleRecord(0)); // partitions exist
    const blocker = await admin.connect();
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE "${schema}".daily_rollup IN EXCLUSIVE MODE`);
    const waiting = async () => Number((await admin.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [app])).rows[0].n);
    let settled = 0;
    const first = sink.append(sampleRecord(1)).then(() => settled++);
    for (let i = 0; i < 200 && (await waiting()) < 1; i++) await new Promise((r) => setTimeout(r, 10));
    // A short queue behind a batch that is stuck past PARALLEL_AFTER_MS goes out on the second connection.
    const rest = Promise.all(Array.from({ length: 5 }, (_, i) => sink.append(sampleRecord(i + 2)).then(() => settled++)));
    let both = 0;
    for (let i = 0; i < 200 && (both = await waiting()) < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(both).toBe(2);
    expect(settled).toBe(0); // nothing resolves before its COMMIT
    await blocker.query('COMMIT');
    blocker.release();
    await Promise.all([first, rest]);
    await sink.close();
    expect(settled).toBe(6);
    expect(await count(schema)).toBe(7);
    expect(await rollupTotals(schema)).toEqual(sums(Array.from({ length: 7 }, (_, i) => sampleRecord(i))));
  });

  it('refuses a database whose schema is newer than this build', async () => {
    const schema = fresh();
    (await PostgresDecisionSink.open({ url: TEST_PG_URL, schema })).close();
    await admin.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES ($1, 'from the future')`, [LATEST_SCHEMA_VERSION + 1]);
    const err = await PostgresDecisionSink.open({ url: TEST_PG_URL, schema }).catch((e) => e);
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect(err.message).toMatch(/newer than this Tollgate supports/);
  });

  it('fails to open with one clear error for an unreachable or wrong URL', async () => {
    const down = await PostgresDecisionSink.open({ url: 'postgres://postgres@127.0.0.1:1/test' }).catch((e) => e);
    expect(down).toBeInstanceOf(DatabaseUnavailableError);
    expect(down.message).toMatch(/^Cannot connect to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test: /);
    const wrongDb = await PostgresDecisionSink.open({ url: 'postgres://postgres:hunter2@127.0.0.1:5432/no_such_db_tg' }).catch((e) => e);
    expect(wrongDb.code).toBe('db_unavailable');
    expect(wrongDb.message).not.toContain('hunter2');
    expect(wrongDb.message).toMatch(/no_such_db_tg/);
  });
});
