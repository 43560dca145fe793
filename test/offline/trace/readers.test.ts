import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  detectTraceFormat,
  emptyTraceStats,
  generateTrace,
  importAzureTrace,
  importBurstGpt,
  openTrace,
  readTrace,
  TraceEmptyError,
  TraceFormatError,
  TraceNotFoundError,
  TraceRowError,
  writeTraceJsonl,
  type TraceRequest,
} from '../../../offline/trace/index.js';
import { collect, fixture, tempDir } from './fixtures.js';

describe('JSONL round trip', () => {
  it('writes and reads back equal requests (ISO and epoch timestamps)', async () => {
    const dir = tempDir();
    const requests = [...generateTrace({ seed: 7, requests: 200 })];
    requests[0] = { ...requests[0]!, labels: { 'small-model': 0.25, 'large-model': 1 } };
    for (const timestamps of ['iso', 'epoch'] as const) {
      const file = join(dir, `rt-${timestamps}.jsonl`);
      const written = await writeTraceJsonl(file, requests, { timestamps });
      expect(written.requests).toBe(200);
      expect(await collect(readTrace(file))).toEqual(requests);
    }
  });

  it('accepts an async iterable and creates parent folders', async () => {
    const file = join(tempDir(), 'nested', 'deeper', 'trace.jsonl');
    const source = await openTrace(fixture('malformed.jsonl'), { onError: 'skip' });
    const result = await writeTraceJsonl(file, source);
    expect(result.requests).toBe(3);
    expect((await collect(readTrace(file))).map((r) => r.id)).toEqual(['ok-1', 'ok-2', 'ok-3']);
  });
});

describe('line handling', () => {
  it('reads CRLF, a BOM and a last line without newline, keeping physical line numbers', async () => {
    const file = join(tempDir(), 'crlf.jsonl');
    writeFileSync(file, '\uFEFF{"timestamp":0,"tenant":"a","promptTokens":1}\r\n\r\n{"timestamp":1,"tenant":"b","promptTokens":2}');
    expect((await collect(readTrace(file))).map((r) => [r.id, r.tenant])).toEqual([
      ['trace:1', 'a'],
      ['trace:3', 'b'],
    ]);
  });
});

describe('malformed rows', () => {
  const cases = [
    { name: 'JSONL', read: (o: object) => readTrace(fixture('malformed.jsonl'), o), lines: [2, 3, 5, 7], requests: 3 },
    { name: 'BurstGPT', read: (o: object) => importBurstGpt(fixture('burstgpt-malformed.csv'), o), lines: [3, 4, 5, 6], requests: 2 },
    { name: 'Azure', read: (o: object) => importAzureTrace(fixture('azure-malformed.csv'), o), lines: [3, 4, 5, 6], requests: 2 },
  ];

  it.each(cases)('$name: skip mode reports every bad row with its line number and keeps the good ones', async ({ read, lines, requests }) => {
    const reported: TraceRowError[] = [];
    const stats = emptyTraceStats();
    const got = await collect(read({ onError: 'skip', onIssue: (e: TraceRowError) => reported.push(e), stats }));
    expect(got).toHaveLength(requests);
    expect(reported.map((e) => e.line)).toEqual(lines);
    expect(stats).toMatchObject({ requests, skipped: lines.length });
    expect(stats.issues.map((e) => e.line)).toEqual(lines);
    for (const e of reported) expect(e.code).toBe('trace_row_invalid');
  });

  it.each(cases)('$name: fatal mode (the default) throws the first bad row', async ({ read, lines }) => {
    await expect(collect(read({}))).rejects.toMatchObject({ name: 'TraceRowError', line: lines[0] });
    await expect(collect(read({ onError: 'fatal' }))).rejects.toBeInstanceOf(TraceRowError);
  });

  it('says what is wrong with each row', async () => {
    const reasons = async (read: (o: object) => AsyncIterable<TraceRequest>) => {
      const out: string[] = [];
      await collect(read({ onError: 'skip', onIssue: (e: TraceRowError) => out.push(e.reason) }));
      return out;
    };
    expect(await reasons((o) => readTrace(fixture('malformed.jsonl'), o))).toEqual([
      expect.stringContaining('invalid JSON'),
      'promptTokens: promptTokens must be ≥ 0',
      expect.stringContaining('"yesterday at noon" is not an ISO 8601 date-time'),
      'promptTokens: a request needs messages or promptTokens',
    ]);
    expect(await reasons((o) => importBurstGpt(fixture('burstgpt-malformed.csv'), o))).toEqual([
      'Request tokens is negative (-4); token counts must be ≥ 0',
      'Timestamp "soon" is not a non-negative number of seconds from the trace start',
      'expected 6 columns, found 5',
      'Total tokens 99 ≠ Request tokens + Response tokens (100)',
    ]);
    expect(await reasons((o) => importAzureTrace(fixture('azure-malformed.csv'), o))).toEqual([
      'ContextTokens is negative (-396); token counts must be ≥ 0',
      'TIMESTAMP "2023-13-40 18:15:51.2224670" is not a date-time like 2023-11-16 18:15:46.6805900',
      'expected 3 columns, found 2',
      'ContextTokens "12.5" is not a whole number of tokens',
    ]);
  });
});

describe('missing, empty and unknown files', () => {
  const missing = join(tempDir(), 'nope.jsonl');

  it('a missing file is a TraceNotFoundError from every reader and from openTrace', async () => {
    await expect(collect(readTrace(missing))).rejects.toMatchObject({ code: 'trace_not_found', file: missing });
    await expect(collect(importBurstGpt(missing))).rejects.toBeInstanceOf(TraceNotFoundError);
    await expect(collect(importAzureTrace(missing))).rejects.toBeInstanceOf(TraceNotFoundError);
    await expect(openTrace(missing)).rejects.toBeInstanceOf(TraceNotFoundError);
    await expect(openTrace(tempDir())).rejects.toMatchObject({ code: 'trace_not_found', reason: 'not a regular file' });
  });

  it('an empty trace raises trace_empty when iteration ends, unless allowEmpty', async () => {
    await expect(collect(readTrace(fixture('empty.jsonl')))).rejects.toMatchObject({ code: 'trace_empty', skipped: 0 });
    await expect(collect(importAzureTrace(fixture('azure-header-only.csv')))).rejects.toBeInstanceOf(TraceEmptyError);
    await expect(collect(await openTrace(fixture('azure-header-only.csv')))).rejects.toBeInstanceOf(TraceEmptyError);
    await expect(openTrace(fixture('empty.jsonl')).then(collect)).rejects.toBeInstanceOf(TraceEmptyError);
    expect(await collect(readTrace(fixture('empty.jsonl'), { allowEmpty: true }))).toEqual([]);
  });

  it('a trace whose every row was skipped is empty too, and says so', async () => {
    const file = join(tempDir(), 'all-bad.jsonl');
    writeFileSync(file, '{"tenant":"t"}\nnot json\n');
    await expect(collect(readTrace(file, { onError: 'skip' }))).rejects.toMatchObject({ code: 'trace_empty', skipped: 2 });
  });

  it('a CSV without the required columns is a TraceFormatError', async () => {
    const file = join(tempDir(), 'other.csv');
    writeFileSync(file, 'when,who\n1,2\n');
    await expect(openTrace(file)).rejects.toMatchObject({ code: 'trace_format_invalid' });
    await expect(collect(importAzureTrace(file))).rejects.toBeInstanceOf(TraceFormatError);
    await expect(collect(importBurstGpt(file))).rejects.toThrow(/lacks column\(s\) "Timestamp"/);
  });
});

describe('openTrace', () => {
  it('detects each format by extension and header', async () => {
    expect(await detectTraceFormat(fixture('malformed.jsonl'))).toBe('jsonl');
    expect(await detectTraceFormat(fixture('azure-sample.csv'))).toBe('azure');
    expect(await detectTraceFormat(fixture('burstgpt-sample.csv'))).toBe('burstgpt');
    const noExt = join(tempDir(), 'trace');
    writeFileSync(noExt, '\n{"timestamp":0,"tenant":"t","promptTokens":1}\n');
    expect(await detectTraceFormat(noExt)).toBe('jsonl');
  });

  it('streams with live stats, restarting them on each iteration', async () => {
    const source = await openTrace(fixture('burstgpt-sample.csv'));
    expect(source.format).toBe('burstgpt');
    expect(await collect(source)).toHaveLength(40);
    expect(await collect(source)).toHaveLength(40);
    expect(source.stats).toMatchObject({ requests: 40, skipped: 0, lines: 41 });
  });

  it('honours an explicit format', async () => {
    await expect(openTrace(fixture('azure-sample.csv'), { format: 'jsonl' }).then(collect)).rejects.toMatchObject({ line: 1 });
  });
});
