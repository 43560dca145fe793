import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTraceLine, TraceRequestSchema, TraceRowError } from '../../../offline/trace/index.js';
import { formatIsoTimestamp, parseAzureTimestamp, parseIsoTimestamp } from '../../../offline/trace/timestamps.js';

describe('trace schema', () => {
  it('normalises ISO strings and epoch ms to epoch ms', () => {
    const iso = TraceRequestSchema.parse({ timestamp: '2024-06-03T09:00:00.250Z', tenant: 't', promptTokens: 1 });
    const epoch = TraceRequestSchema.parse({ timestamp: Date.UTC(2024, 5, 3, 9, 0, 0, 250), tenant: 't', promptTokens: 1 });
    expect(iso.timestamp).toBe(epoch.timestamp);
    expect(TraceRequestSchema.parse({ timestamp: '2024-06-03T11:00:00+02:00', tenant: 't', promptTokens: 1 }).timestamp).toBe(Date.UTC(2024, 5, 3, 9));
    expect(parseIsoTimestamp('2024-06-03 09:00:00')).toBe(Date.UTC(2024, 5, 3, 9));
    expect(parseIsoTimestamp('June 3rd')).toBeUndefined();
    expect(parseIsoTimestamp('2024-02-30T00:00:00Z')).toBeUndefined();
  });

  it('reads the Azure timestamp as UTC, truncated to ms', () => {
    expect(parseAzureTimestamp('2023-11-16 18:15:46.6805900')).toBe(Date.UTC(2023, 10, 16, 18, 15, 46, 680));
    expect(parseAzureTimestamp('2023-11-16 18:15:46')).toBe(Date.UTC(2023, 10, 16, 18, 15, 46));
    expect(parseAzureTimestamp('2023-13-40 18:15:46.1')).toBeUndefined();
    expect(parseAzureTimestamp('2023-11-16 25:15:46.1')).toBeUndefined();
  });

  it('defaults tags and fills a missing id from the line number', () => {
    const r = parseTraceLine('{"timestamp":0,"tenant":"t","promptTokens":3}', 7, 'f.jsonl');
    expect(r).toEqual({ id: 'trace:7', timestamp: 0, tenant: 't', promptTokens: 3, tags: [] });
  });

  it.each([
    ['{"timestamp":0,"tenant":"t"}', 'promptTokens: a request needs messages or promptTokens'],
    ['{"timestamp":0,"tenant":"t","promptTokens":-1}', 'promptTokens: promptTokens must be ≥ 0'],
    ['{"timestamp":0,"tenant":"t","promptTokens":1,"outputTokens":2.5}', 'outputTokens: outputTokens must be an integer'],
    ['{"timestamp":"noon","tenant":"t","promptTokens":1}', 'timestamp'],
    ['{"timestamp":0,"tenant":"t","promptTokens":1,"labels":{"m":1.5}}', 'labels.m: labels are in [0, 1]'],
    ['{"timestamp":0,"tenant":"t","promptTokens":1,"task":"poetry"}', 'task'],
    ['[1,2]', 'a trace line must be a JSON object'],
    ['{"timestamp":0,', 'invalid JSON'],
  ])('rejects %s with a reason naming the field', (line, reason) => {
    const r = parseTraceLine(line, 3, 'f.jsonl');
    expect(r).toBeInstanceOf(TraceRowError);
    const error = r as TraceRowError;
    expect(error.line).toBe(3);
    expect(error.code).toBe('trace_row_invalid');
    expect(error.reason).toContain(reason);
    expect(error.message).toMatch(/^f\.jsonl:3: /);
  });
});

describe('docs/trace-format.md', () => {
  it('its example lines are valid trace lines', () => {
    const doc = readFileSync(new URL('../../../docs/trace-format.md', import.meta.url), 'utf8');
    const block = /```jsonl\n([\s\S]*?)```\n/.exec(doc)?.[1] ?? '';
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    lines.forEach((line, i) => expect(parseTraceLine(line, i + 1)).not.toBeInstanceOf(TraceRowError));
  });
});

describe('formatIsoTimestamp', () => {
  it('matches Date#toISOString', () => {
    const samples = [0, 1, 999, 86_399_999, 86_400_000, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2024, 5, 3, 9, 5, 7, 42), 253_402_300_799_999, 253_402_300_800_000];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 4_102_444_800_000));
    for (const ms of samples) expect(formatIsoTimestamp(ms)).toBe(new Date(ms).toISOString());
  });
});
