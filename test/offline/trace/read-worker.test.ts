import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  emptyTraceStats,
  formatTraceLine,
  generateTrace,
  openTrace,
  readTrace,
  readTraceBatchesInWorker,
  readTraceInWorker,
  TraceEmptyError,
  TraceNotFoundError,
  TraceRowError,
  type TraceReadOptions,
  type TraceReadStats,
} from '../../../offline/trace/index.js';
import { collect, fixture, tempDir } from './fixtures.js';

/** Reads `file` both ways with `options` and returns what each yielded, reported and counted (rows as JSON, so key order counts). */
async function bothWays(file: string, options: TraceReadOptions) {
  const run = async (read: typeof readTrace) => {
    const issues: string[] = [];
    const stats = emptyTraceStats();
    const rows: string[] = [];
    let error: unknown;
    try {
      for await (const r of read(file, { ...options, stats, onIssue: (e) => issues.push(`${e.line} ${e.message} @${rows.length}`) })) rows.push(JSON.stringify(r));
    } catch (e) {
      error = e;
    }
    return { rows, issues, stats: plain(stats), error: errorOf(error) };
  };
  return { worker: await run(readTraceInWorker), thread: await run(readTrace) };
}

const plain = (s: TraceReadStats) => ({ ...s, issues: s.issues.map((e) => `${e.line} ${e.reason}`) });
const errorOf = (e: unknown) => (e instanceof TraceRowError ? { code: e.code, line: e.line, message: e.message, cls: e.constructor.name } : e === undefined ? undefined : { code: (e as { code?: string }).code, cls: (e as Error).constructor.name });

/** A trace of every kind of line the readers meet, over several worker batches. */
function mixedTrace(): string {
  const lines: string[] = [];
  let i = 0;
  for (const r of generateTrace({ seed: 11, requests: 9_000, tenants: 7, messages: false })) {
    i++;
    if (i % 997 === 0) lines.push('');
    if (i % 1_499 === 0) lines.push('   ');
    if (i % 1_201 === 0) lines.push('{"timestamp":"yesterday","tenant":"a","promptTokens":1}');
    if (i % 1_301 === 0) lines.push('{"timestamp":1,"tenant":"a","promptTokens":-1}');
    if (i % 1_709 === 0) lines.push('{not json');
    if (i % 1_811 === 0) lines.push('[1,2]');
    const { id: _id, ...noId } = r;
    const row = i % 3 === 0 ? noId : i % 7 === 0 ? { ...r, messages: [{ role: 'user', content: `q ${i}` }] } : i % 11 === 0 ? { ...r, labels: { 'gpt-4o': 0.5 } } : r;
    lines.push(i % 13 === 0 ? JSON.stringify({ ...row, extra: 1 }) : row === noId ? JSON.stringify(noId) : formatTraceLine(row as typeof r));
    if (i % 17 === 0) lines.push(JSON.stringify({ timestamp: r.timestamp, tenant: `t\u0000${i % 5}`, tags: ['a\u0000b'], promptTokens: i, task: 'code' }));
    if (i % 19 === 0) lines.push(JSON.stringify({ timestamp: r.timestamp, tenant: 'x', tags: ['a', 'b'], promptTokens: 0, maxOutputTokens: 1, outputTokens: 0, id: 'é\n😀' }));
  }
  return `\uFEFF${lines.join('\r\n')}`; // a BOM, CRLF, and no newline after the last line
}

describe('readTraceInWorker', () => {
  const dir = tempDir();
  const mixed = join(dir, 'mixed.jsonl');
  writeFileSync(mixed, mixedTrace());

  it('skip mode: the same rows (same keys, same order), the same line-numbered issues at the same points, the same stats', async () => {
    const { worker, thread } = await bothWays(mixed, { onError: 'skip' });
    expect(thread.rows.length).toBeGreaterThan(9_000);
    expect(thread.issues.length).toBeGreaterThan(10);
    expect(worker).toEqual(thread);
  });

  it('fatal mode: the same rows before the first bad line, then the same TraceRowError', async () => {
    const { worker, thread } = await bothWays(mixed, { onError: 'fatal' });
    expect(thread.error).toMatchObject({ code: 'trace_row_invalid', cls: 'TraceRowError' });
    expect(thread.rows.length).toBeGreaterThan(1_000);
    expect(worker).toEqual(thread);
  });

  it('the fixtures read the same both ways', async () => {
    for (const name of ['malformed.jsonl', 'empty.jsonl']) {
      for (const onError of ['skip', 'fatal'] as const) {
        const { worker, thread } = await bothWays(fixture(name), { onError });
        expect(worker, `${name} ${onError}`).toEqual(thread);
      }
    }
    await expect(collect(readTraceInWorker(fixture('empty.jsonl')))).rejects.toBeInstanceOf(TraceEmptyError);
    expect(await collect(readTraceInWorker(fixture('empty.jsonl'), { allowEmpty: true }))).toEqual([]);
  });

  it('more distinct tenants and tag lists than its dictionary holds: still the same rows', async () => {
    const file = join(dir, 'tenants.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) lines.push(JSON.stringify({ id: `r${i}`, timestamp: i, tenant: `tenant-${i}`, tags: [`t${i % 9_000}`], promptTokens: i }));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { worker, thread } = await bothWays(file, {});
    expect(worker.rows).toHaveLength(40_000);
    expect(worker).toEqual(thread);
  });

  it('openTrace({ worker }) yields the same rows one at a time and in batches; a missing file is a TraceNotFoundError', async () => {
    const source = await openTrace(mixed, { onError: 'skip', worker: true });
    expect(source.batches).toBeDefined();
    const batched = (await collect(source.batches!())).flat();
    expect(source.stats.requests).toBe(batched.length);
    expect(batched).toEqual(await collect(source));
    expect(batched).toEqual(await collect(readTrace(mixed, { onError: 'skip' })));
    expect((await openTrace(mixed, { worker: 'auto' })).batches).toBeUndefined(); // small file: read on this thread
    await expect(collect(readTraceInWorker(join(dir, 'nope.jsonl')))).rejects.toBeInstanceOf(TraceNotFoundError);
  });

  it('stops its worker when the reader stops early', async () => {
    let n = 0;
    for await (const rows of readTraceBatchesInWorker(mixed, { onError: 'skip' })) if ((n += rows.length) > 100) break;
    expect(n).toBeGreaterThan(100);
  });
});
