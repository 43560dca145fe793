import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlDecisionSink, repairTornTail } from '../../../adapters/sinks/jsonl-decision-sink.js';
import type { DecisionRecord } from '../../../engine/decision-record.js';
import { readDecisionLog } from '../../../offline/reporting/decision-log-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (id: string): DecisionRecord => ({
  v: 1, time: '2025-03-01T00:00:00.000Z', requestId: id, tenant: 't', tags: [], policy: { name: 'p', version: 'v' }, candidates: [], fallbacks: [], attempts: 1,
  tokens: { input: 1, output: 1, cached: 0, source: 'vendor' }, predictedCostMicros: 0, cost: { vendor: 1, infra: 0, ops: 0, full: 1 }, latencyMs: 1, outcome: 'ok',
});

describe('JsonlDecisionSink after a crash', () => {
  it('cuts a torn last line on open, so records appended after a restart read back cleanly', async () => {
    const path = join(dir, 'torn.jsonl');
    writeFileSync(path, `${JSON.stringify(record('a'))}\n`);
    appendFileSync(path, JSON.stringify(record('torn')).slice(0, 40)); // a write cut by SIGKILL
    const sink = new JsonlDecisionSink(path);
    await sink.append(record('b'));
    await sink.close();
    const ids: string[] = [];
    const issues: unknown[] = [];
    for await (const r of readDecisionLog(path, { onIssue: (i) => issues.push(i) })) ids.push(r.requestId);
    expect(ids).toEqual(['a', 'b']);
    expect(issues).toEqual([]);
  });

  it('leaves clean and empty files alone and cuts a file that is one partial line', async () => {
    const clean = join(dir, 'clean.jsonl');
    writeFileSync(clean, 'x\n');
    expect(await repairTornTail(clean)).toBe(0);
    expect(await repairTornTail(join(dir, 'missing.jsonl'))).toBe(0);
    const partial = join(dir, 'partial.jsonl');
    writeFileSync(partial, '{"v":1,"ti');
    expect(await repairTornTail(partial)).toBe(10);
    expect(readFileSync(partial, 'utf8')).toBe('');
  });
});
