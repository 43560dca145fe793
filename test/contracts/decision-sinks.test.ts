import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { BufferedJsonlDecisionSink } from '../../adapters/sinks/buffered-jsonl-sink.js';
import { JsonlDecisionSink } from '../../adapters/sinks/jsonl-decision-sink.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { decisionRecordSchema } from '../../engine/decision-record.js';
import { decisionSinkContract } from '../../testing/index.js';

/** The exported DecisionSink suite against the built-in sinks (the PostgreSQL sink runs it in test/adapters/postgres). */
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
