import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { BufferedJsonlDecisionSink } from '../../adapters/sinks/buffered-jsonl-sink.js';
import { JsonlDecisionSink } from '../../adapters/sinks/jsonl-decision-sink.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { decisionRecordSchema } from '../../engine/decision-record.js';
import { PostgresDecisionSink } from '../../adapters/postgres/index.js';
import { decisionSinkContract } from '../../testing/index.js';
import { connectTestPg, dropSchema, TEST_PG_URL, testSchema } from '../support/postgres.js';

/** The exported DecisionSink suite against every built-in sink. */
const dir = mkdtempSync(join(tmpdir(), 'tg-sink-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const readJsonl = (path: string) => async () =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => decisionRecordSchema.parse(JSON.parse(l)));

decisionSinkContract('MemoryDecisionSink', async () => {
  const sink = new MemoryDecisionSink();
  return { sink, read: async () => sink.records };
});
decisionSinkContract('JsonlDecisionSink', async () => {
  const path = join(dir, `jsonl-${++n}.jsonl`);
  return { sink: new JsonlDecisionSink(path), read: readJsonl(path) };
});
decisionSinkContract('BufferedJsonlDecisionSink', async () => {
  const path = join(dir, `buffered-${++n}.jsonl`);
  return { sink: new BufferedJsonlDecisionSink(path), read: readJsonl(path) };
});

// PostgreSQL (a real server at 127.0.0.1:5432, database `test`, a schema of its own per suite run).
const pgSchemas: string[] = [];
let pool: Awaited<ReturnType<typeof connectTestPg>> | undefined;
afterAll(async () => {
  if (!pool) return;
  for (const s of pgSchemas) await dropSchema(pool, s);
  await pool.end();
});
decisionSinkContract('PostgresDecisionSink', async () => {
  pool ??= await connectTestPg();
  const schema = testSchema('tg_sink_contract');
  pgSchemas.push(schema);
  const sink = await PostgresDecisionSink.open({ url: TEST_PG_URL, schema });
  const read = async () => (await pool!.query(`SELECT record FROM "${schema}".decisions ORDER BY time, ctid`)).rows.map((r: { record: unknown }) => decisionRecordSchema.parse(r.record));
  return { sink, read };
});
