import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeAnswerText } from '../support/fake-vendor-server.js';
import { type Harness, post, startHarness } from './harness.js';

/**
 * Vendor faults behind the gateway: every client request is answered — through the policy's fallback
 * or with a typed OpenAI-shaped 502/503/504 — and every request is settled exactly once (log and ledger).
 */

const FAULTS = { p429: '429', p500: '500', phang: 'hang', pmalformed: 'malformed', pcut: 'cut-stream', peof: 'early-eof', pbad: 'bad-shape', perr: 'error-event' };
const DEAD = { d500: '500', d500b: '500', dhang: 'hang', dhangb: 'hang', d429: '429', d429b: '429' };
let h: Harness;
let sent = 0;

beforeAll(async () => {
  h = await startHarness(
    { good: 'ok', ...FAULTS, ...DEAD },
    {
      vendor: { retryAfter: '0' },
      policy: {
        fallbacks: { ...Object.fromEntries(Object.keys(FAULTS).map((m) => [m, ['good']])), d500: ['d500b'], dhang: ['dhangb'], d429: ['d429b'] },
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 20, timeoutMs: 600 }, // roomy: a busy CI box must not time out 'ok' calls
        circuitBreaker: { failureThreshold: 1000, cooldownMs: 1000 },
      },
    },
  );
});
afterAll(() => h.close());

const question = (i: number) => `Fault question number ${i}?`;

async function nonStream(model: string, i: number) {
  sent++;
  return h.client.chat.completions.create({ model, messages: [{ role: 'user', content: question(i) }] }, { headers: { 'x-request-id': `ns-${model}-${i}` } });
}

async function stream(model: string, i: number): Promise<{ text: string; usage?: OpenAI.CompletionUsage | null }> {
  sent++;
  const s = await h.client.chat.completions.create(
    { model, messages: [{ role: 'user', content: question(i) }], stream: true, stream_options: { include_usage: true } },
    { headers: { 'x-request-id': `st-${model}-${i}` } },
  );
  let text = '';
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const c of s) {
    text += c.choices[0]?.delta.content ?? '';
    usage = c.usage ?? usage;
  }
  return { text, usage };
}

describe('gateway under vendor faults', () => {
  // `error-event` is a streaming-only fault (a non-streaming call answers normally).
  it.each(Object.keys(FAULTS).filter((m) => m !== 'perr'))('answers through the fallback when the primary fails with %s (non-streaming)', async (model) => {
    const r = await nonStream(model, 1);
    expect(r.model).toBe('good');
    expect(r.choices[0]!.message.content).toBe(fakeAnswerText(question(1)));
    const rec = h.sink!.records.find((x) => x.requestId === `ns-${model}-1`)!;
    expect(rec.fallbacks.map((f) => f.model)).toEqual([model]);
  });

  it.each(Object.keys(FAULTS))('streams a complete answer or a typed error when the primary fails with %s', async (model) => {
    const r: { text: string; usage?: OpenAI.CompletionUsage | null } | Error = await stream(model, 2).catch((e: unknown) => e as Error);
    if (r instanceof Error) {
      // A failure after text was sent cannot fall back: the stream ends with a typed OpenAI error.
      expect(r).toBeInstanceOf(OpenAI.APIError);
      expect(h.sink!.records.find((x) => x.requestId === `st-${model}-2`)?.outcome).toBe('error');
      return;
    }
    expect(r.text).toBe(fakeAnswerText(question(2)));
    expect(r.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it.each([
    ['d500', 502],
    ['dhang', 504],
    ['d429', 503],
  ])('answers a typed OpenAI error when the whole chain of %s fails (HTTP %i)', async (model, status) => {
    sent++;
    const r = await post(h, { model, messages: [{ role: 'user', content: 'doomed' }] }, { 'x-request-id': `dead-${model}` });
    expect(r.status).toBe(status);
    expect(r.json.error).toMatchObject({ type: 'upstream_error', code: 'all_models_failed', message: expect.stringContaining(model) });
    expect(r.headers.get('x-tollgate-request-id')).toBe(`dead-${model}`);
    // Streaming: an HTTP error when nothing was sent yet; a hang sends a delta first, so its error comes in-stream.
    sent++;
    const s = await (async () => {
      const st = await h.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'doomed' }], stream: true });
      for await (const _ of st);
      return 'completed';
    })().catch((e: unknown) => e);
    expect(s).toBeInstanceOf(OpenAI.APIError);
    if (model !== 'dhang') expect((s as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
  });

  it('aborts the upstream call when the client disconnects, and still settles the request once', async () => {
    sent++;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 60);
    const r = await h.client.chat.completions
      .create({ model: 'dhang', messages: [{ role: 'user', content: 'never mind' }] }, { signal: ac.signal, headers: { 'x-request-id': 'client-gone' } })
      .catch((e: unknown) => e);
    expect(r).toBeInstanceOf(OpenAI.APIUserAbortError);
    await expect.poll(() => h.sink!.records.find((x) => x.requestId === 'client-gone')?.outcome, { timeout: 3000 }).toBe('error');
    // Without the abort the hang would run the whole chain: 2 models × 2 attempts × 600 ms.
    expect(h.sink!.records.find((x) => x.requestId === 'client-gone')!.latencyMs).toBeLessThan(1200);
  });

  it('settles every request exactly once: unique ids in the log, log count = requests sent = ledger count', async () => {
    const records = h.sink!.records;
    const ids = records.map((r) => r.requestId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(records.length).toBe(sent);
    expect(h.tollgate.ledger.total().requests).toBe(sent);
    const okCost = records.filter((r) => r.outcome === 'ok').reduce((s, r) => s + r.cost.full, 0);
    expect(h.tollgate.ledger.total().fullMicros).toBe(okCost);
    expect(JSON.stringify(records)).not.toContain(h.key);
  });
});
