import { mkdtempSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { readDecisionLog } from '../../offline/reporting/decision-log-reader.js';
import { decisionRecordSchema } from '../../engine/decision-record.js';
import { AllModelsFailedError, ContextWindowError, TollgateError, UnknownModelError, ValidationError } from '../../engine/errors.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy, simPolicy } from '../support/policies.js';

const SECRET = 'sk-test-secret-0123456789abcdef';
const ask = (content = 'What is the capital of France?', tenant = 'acme') => ({ tenant, messages: [{ role: 'user' as const, content }] });

let vendor: FakeVendor;
beforeAll(async () => {
  process.env.TOLLGATE_TEST_KEY = SECRET;
  vendor = await startFakeVendor({ retryAfter: '0' });
});
afterAll(async () => vendor.close());

describe('engine with the simulated adapter', () => {
  it('routes, calls, settles in integer micro-dollars and records the decision', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: simPolicy(), decisionLog: sink });
    const r = await tg.complete({ ...ask(), maxOutputTokens: 300, tags: ['t:1'] });
    expect(r.text).toContain('simulated answer');
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    expect(Number.isInteger(r.cost.full)).toBe(true);
    expect(r.cost.full).toBe(r.cost.vendor + r.cost.infra + r.cost.ops);
    const rec = sink.records[0]!;
    expect(decisionRecordSchema.parse(rec)).toBeTruthy();
    expect(rec.policy).toEqual({ name: 'test-sim', version: tg.policy.version });
    expect(rec.candidates).toHaveLength(3);
    expect(rec.tokens.source).toBe('vendor');
    expect(rec.tags).toEqual(['t:1']);
    expect(tg.ledger.total().fullMicros).toBe(r.cost.full);
    expect(tg.ledger.rows('tenant')[0]).toMatchObject({ key: 'acme', requests: 1 });
  });

  it('decide() is a dry run that explains the choice', async () => {
    const tg = createTollgate({ policy: simPolicy() });
    const d = await tg.decide(ask('Summarize this report in three bullet points.'));
    expect(d.classification.task).toBe('summarization');
    expect(d.candidates.map((c) => c.model)).toEqual(['local', 'mini', 'big']);
    expect(d.explanation).toContain(d.model);
    expect(tg.ledger.total().requests).toBe(0);
  });

  it('streams deltas whose concatenation is the final text', async () => {
    const tg = createTollgate({ policy: simPolicy() });
    let text = '';
    let done;
    for await (const chunk of tg.stream(ask())) {
      if (chunk.type === 'delta') text += chunk.text;
      else done = chunk.result;
    }
    expect(done!.text).toBe(text);
    expect(done!.record.outcome).toBe('ok');
  });
});

describe('bad input is refused with a typed error before any model is called', () => {
  const bad: [string, unknown][] = [
    ['empty messages', { tenant: 'a', messages: [] }],
    ['tenant of the wrong type', { tenant: 42, messages: [{ role: 'user', content: 'x' }] }],
    ['negative maxOutputTokens', { ...ask(), maxOutputTokens: -5 }],
    ['NaN temperature', { ...ask(), temperature: Number.NaN }],
    ['topP above 1', { ...ask(), topP: 1.5 }],
    ['five stop sequences', { ...ask(), stop: ['a', 'b', 'c', 'd', 'e'] }],
    ['fractional seed', { ...ask(), seed: 1.5 }],
    ['unknown field', { ...ask(), modle: 'x' }],
    ['bad role', { tenant: 'a', messages: [{ role: 'wizard', content: 'x' }] }],
  ];
  for (const [name, req] of bad) {
    it(name, async () => {
      const before = vendor.count();
      const tg = createTollgate({ policy: httpPolicy(vendor.url, { m1: 'ok' }) });
      const err = await tg.complete(req as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).code).toBe('invalid_request');
      expect((err as ValidationError).issues.length).toBeGreaterThan(0);
      expect(vendor.count()).toBe(before);
    });
  }

  it('a pinned unknown model and a prompt over the context window', async () => {
    const before = vendor.count();
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: httpPolicy(vendor.url, { m1: 'ok' }, { defaults: { onContextOverflow: 'refuse' } }), decisionLog: sink });
    await expect(tg.complete({ ...ask(), model: 'nope' })).rejects.toBeInstanceOf(UnknownModelError);
    await expect(tg.complete(ask('word '.repeat(130_000)))).rejects.toBeInstanceOf(ContextWindowError);
    expect(vendor.count()).toBe(before);
    expect(sink.records.map((r) => r.outcome)).toEqual(['error', 'refused']);
  });
});

describe('faults: retries, fallbacks and typed errors against a real HTTP server', () => {
  const run = async (upstream: Record<string, string>, extra = {}) => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: httpPolicy(vendor.url, upstream, extra), decisionLog: sink });
    const result = await tg.complete(ask()).catch((e: unknown) => e);
    return { result, rec: sink.records[0]!, tg };
  };

  for (const fault of ['500', '429', 'hang', 'malformed', 'cut-stream', 'bad-shape']) {
    it(`${fault} on the first model → answered by the fallback`, async () => {
      const before = vendor.count();
      const { result, rec } = await run({ primary: fault, backup: 'ok' });
      expect(result).toMatchObject({ model: 'backup' });
      expect(rec.outcome).toBe('ok');
      expect(rec.chosen).toBe('primary');
      expect(rec.fallbacks[0]!.model).toBe('primary');
      const retryable = ['500', '429', 'hang', 'cut-stream'].includes(fault);
      expect(rec.attempts).toBe(retryable ? 3 : 2);
      expect(vendor.count() - before).toBe(rec.attempts);
    });
  }

  it('every model failing gives AllModelsFailedError, logged once', async () => {
    const { result, rec, tg } = await run({ a: '500', b: 'malformed' });
    expect(result).toBeInstanceOf(AllModelsFailedError);
    expect((result as TollgateError).code).toBe('all_models_failed');
    expect((result as AllModelsFailedError).attempts.map((a) => a.code)).toEqual(['provider_server_error', 'provider_bad_response']);
    expect(rec.outcome).toBe('error');
    expect(tg.ledger.total()).toMatchObject({ requests: 1, errors: 1, fullMicros: 0 });
  });

  it('opens the circuit after repeated failures and skips the model', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: httpPolicy(vendor.url, { flaky: '500', backup: 'ok' }, { circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 } }), decisionLog: sink });
    await tg.complete(ask());
    const before = vendor.count();
    const r = await tg.complete(ask());
    expect(r.model).toBe('backup');
    expect(vendor.count() - before).toBe(1); // flaky was not called
    expect(sink.records[1]!.fallbacks).toEqual([{ model: 'flaky', code: 'provider_circuit_open' }]);
  });

  it('streams through the HTTP adapter and falls back before the first delta', async () => {
    const tg = createTollgate({ policy: httpPolicy(vendor.url, { primary: '500', backup: 'ok' }) });
    let text = '';
    let model = '';
    for await (const c of tg.stream(ask())) {
      if (c.type === 'delta') text += c.text;
      else model = c.result.model;
    }
    expect(model).toBe('backup');
    expect(text.length).toBeGreaterThan(0);
  });
});

describe('decision log (JSONL)', () => {
  it('appends one validated record per request, without secrets, and readers skip a torn last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-log-'));
    const path = join(dir, 'decisions.jsonl');
    const tg = createTollgate({ policy: httpPolicy(vendor.url, { primary: '429', backup: 'ok' }), decisionLog: path });
    await Promise.all([tg.complete(ask()), tg.complete(ask('another question')), tg.complete({ ...ask(), model: 'missing' }).catch(() => undefined)]);
    await tg.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/Bearer/i);
    expect(vendor.requests.at(-1)!.headers.authorization).toBe(`Bearer ${SECRET}`);
    await appendFile(path, '{"v":1,"time":"2024-01-01T00:00:00Z","requestId":"torn');
    const issues: { torn: boolean }[] = [];
    const records = [];
    for await (const r of readDecisionLog(path, { onIssue: (i) => issues.push(i) })) records.push(r);
    expect(records).toHaveLength(3);
    expect(records.filter((r) => r.outcome === 'ok')).toHaveLength(2);
    expect(issues).toEqual([expect.objectContaining({ torn: true, line: 4 })]);
  });
});
