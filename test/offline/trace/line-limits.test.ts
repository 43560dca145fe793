import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceRowError } from '../../../offline/trace/errors.js';
import { readTrace } from '../../../offline/trace/read-jsonl.js';
import { readTraceInWorker } from '../../../offline/trace/read-jsonl-worker.js';
import { MAX_TRACE_LINE_CHARS, readLineBatches } from '../../../offline/trace/read-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-line-limits-'));
const row = (i: number) => JSON.stringify({ timestamp: `2026-01-01T00:00:0${i}Z`, tenant: 'a', promptTokens: 10, outputTokens: 5 });

async function drain<T>(it: AsyncGenerator<T, unknown>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('trace line length limit (issue #14, item 6)', () => {
  // One line past the default limit, in the middle of a trace: a typed, line-numbered error, soon.
  const file = join(dir, 'long-line.jsonl');
  writeFileSync(file, `${row(1)}\n${row(2)}\n{"timestamp":"2026-01-01T00:00:03Z","tenant":"${'x'.repeat(MAX_TRACE_LINE_CHARS + 10)}"}\n${row(4)}\n`);

  it('readTrace stops at the long line with TraceRowError naming line 3', async () => {
    const err = await drain(readTrace(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceRowError);
    expect(err).toMatchObject({ code: 'trace_row_invalid', line: 3 });
    expect((err as Error).message).toMatch(/line longer than 33554432 characters/);
  });

  it('the worker reader raises the same typed error', async () => {
    const err = await drain(readTraceInWorker(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceRowError);
    expect(err).toMatchObject({ line: 3 });
  });

  it('splits lines across chunks exactly as before (CRLF across a chunk edge, BOM, no final newline)', async () => {
    const f = join(dir, 'edges.txt');
    const a = 'a'.repeat((1 << 20) - 1);
    writeFileSync(f, `\ufeff${a}\r\n${'b'.repeat(3 << 20)}\n\nlast`);
    const lines = (await drain(readLineBatches(f))).flatMap((b) => b.texts);
    expect(lines.map((l) => l.length)).toEqual([a.length, 3 << 20, 0, 4]);
    expect(lines[0]![0]).toBe('a');
    const err = await drain(readLineBatches(f, 2 << 20)).catch((e: unknown) => e);
    expect(err).toMatchObject({ line: 2 });
  });
});
