import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fastParseTraceRequest } from '../../../offline/trace/fast-parse.js';
import { formatTraceLine, generateTrace, TraceRequestSchema } from '../../../offline/trace/index.js';
import { fixture } from './fixtures.js';

const examples = readFileSync(new URL('../../../examples/traces/default.jsonl', import.meta.url), 'utf8').trim().split('\n');
const generated = [...generateTrace({ seed: 5, requests: 300, messages: false })];
const tricky = [
  '{"timestamp":"2024-02-30T00:00:00Z","tenant":"t","promptTokens":1}',
  '{"timestamp":"2024-02-29T23:59:59.999Z","tenant":"t","promptTokens":1}',
  '{"timestamp":"2023-02-29T00:00:00Z","tenant":"t","promptTokens":1}',
  '{"timestamp":"2024-06-03T24:00:00Z","tenant":"t","promptTokens":1}',
  '{"timestamp":"2024-06-03T09:00:00.5Z","tenant":"t","promptTokens":1}',
  '{"timestamp":"2024-06-03T09:00:00.1234Z","tenant":"t","promptTokens":1}',
  '{"timestamp":"2024-06-03T09:00:00+02:00","tenant":"t","promptTokens":1}',
  '{"timestamp":"0050-01-01T00:00:00Z","tenant":"t","promptTokens":1}',
  '{"timestamp":"2024-06-03T09:0a:00Z","tenant":"t","promptTokens":1}',
  '{"timestamp":1.5,"tenant":"t","promptTokens":1}',
  '{"timestamp":-1,"tenant":"t","promptTokens":1}',
  '{"timestamp":0,"tenant":"","promptTokens":1}',
  '{"timestamp":0,"tenant":"t","promptTokens":1,"extra":true}',
  '{"timestamp":0,"tenant":"t","promptTokens":1,"labels":{"m":0.5}}',
  '{"timestamp":0,"tenant":"t","messages":[{"role":"user","content":"hi","name":"x"}]}',
  '{"timestamp":0,"tenant":"t","messages":[{"role":"robot","content":"hi"}]}',
  '{"timestamp":0,"tenant":"t","messages":[]}',
  '{"timestamp":0,"tenant":"t","promptTokens":1,"maxOutputTokens":0}',
  '{"timestamp":0,"tenant":"t","promptTokens":1,"tags":[""]}',
  '{"timestamp":0,"tenant":"t","promptTokens":1,"task":"poetry"}',
  '{"timestamp":0,"tenant":"t","promptTokens":1,"id":""}',
  '{"timestamp":0,"tenant":"t"}',
];
const fromFixture = readFileSync(fixture('malformed.jsonl'), 'utf8').split('\n').filter((l) => l.startsWith('{') && l.endsWith('}'));

describe('fastParseTraceRequest', () => {
  const all = [...examples, ...generated.map((r) => formatTraceLine(r, { timestamps: 'epoch' })), ...tricky, ...fromFixture];

  it('agrees with TraceRequestSchema whenever it answers, and defers every invalid line', () => {
    let answered = 0;
    for (const line of all) {
      const fast = fastParseTraceRequest(JSON.parse(line) as Record<string, unknown>);
      const slow = TraceRequestSchema.safeParse(JSON.parse(line));
      if (fast === undefined) continue;
      answered += 1;
      expect(slow.success, line).toBe(true);
      expect(fast, line).toEqual(slow.data);
    }
    expect(answered).toBeGreaterThan(examples.length);
  });

  it('takes the fast path for everything the writer produces', () => {
    for (const line of [...examples, ...generated.map((r) => formatTraceLine(r))]) {
      expect(fastParseTraceRequest(JSON.parse(line) as Record<string, unknown>), line).toBeDefined();
    }
  });
});
