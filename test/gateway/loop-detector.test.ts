import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { AlertMonitor } from '../../adapters/observers/alerts/alert-monitor.js';
import { createTollgate } from '../../compose.js';
import { LoopDetectedError } from '../../engine/loop-detector.js';
import { simPolicy } from '../support/policies.js';
import { addKey } from '../../gateway/api-keys.js';
import { type Harness, post, startHarness } from './harness.js';

const LONG = `Please summarise the following document. ${'The quarterly numbers were revised again because the upstream feed dropped rows. '.repeat(12)}`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ primary: 'ok' }, { policy: { loopDetection: { minPromptChars: 500, maxRepeats: 3, windowMs: 60_000, action: 'refuse' } } });
});
afterAll(async () => h.close());

describe('runaway clients (issue #14, item 7)', () => {
  it('a looping client is refused with 429 loop_detected after maxRepeats; the vendor sees only those; an alert fires once', async () => {
    const before = h.vendor.count('/v1/chat/completions');
    const statuses: number[] = [];
    let refusal: Awaited<ReturnType<typeof post>> | undefined;
    // The looping client: resends the same long prompt as fast as it gets answers, ignoring errors.
    for (let i = 0; i < 12; i++) {
      const r = await post(h, { model: 'auto', messages: [{ role: 'user', content: LONG }] });
      statuses.push(r.status);
      if (r.status === 429) refusal ??= r;
    }
    expect(statuses).toEqual([200, 200, 200, ...Array(9).fill(429)]);
    expect(refusal!.json.error).toMatchObject({ code: 'loop_detected', type: 'rate_limit_error' });
    expect(Number(refusal!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.vendor.count('/v1/chat/completions') - before).toBe(3);
    // Other prompts, short prompts and other end users go on.
    expect((await post(h, { model: 'auto', messages: [{ role: 'user', content: `${LONG} (a new question)` }] })).status).toBe(200);
    expect((await post(h, { model: 'auto', messages: [{ role: 'user', content: LONG }], user: 'someone-else' })).status).toBe(200);
    // Every refusal is in the log, marked, and becomes one deduplicated alert.
    const records = h.sink!.records;
    const refused = records.filter((r) => r.error?.code === 'loop_detected');
    expect(refused).toHaveLength(9);
    for (const r of refused) {
      expect(r.outcome).toBe('refused');
      expect(r.actions?.[0]).toMatch(/^loop:refuse:4x:[0-9a-f]{8}$/);
    }
    const monitor = new AlertMonitor({ tenants: {}, burnRate: false, anomaly: false });
    const alerts = records.flatMap((r) => monitor.observe(r));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'runaway-client', severity: 'page', tenant: 'acme' });
  });
});

describe('runaway clients are counted per API key', () => {
  it("another key of the same tenant is not refused for the first key's loop", async () => {
    const other = addKey(h.keysPath, 'acme');
    await new Promise((r) => setTimeout(r, 1_100)); // the gateway re-reads the key file within a second
    const prompt = `${LONG} (per-key check)`;
    const withKey = (key: string) => post(h, { model: 'auto', messages: [{ role: 'user', content: prompt }] }, { authorization: `Bearer ${key}` });
    const first: number[] = [];
    for (let i = 0; i < 5; i++) first.push((await withKey(h.key)).status);
    expect(first).toEqual([200, 200, 200, 429, 429]);
    expect((await withKey(other)).status).toBe(200);
  });
});

describe('runaway clients on the Messages API', () => {
  it('are counted per API key as on Chat Completions', async () => {
    const other = addKey(h.keysPath, 'acme');
    await new Promise((r) => setTimeout(r, 1_100)); // the gateway re-reads the key file within a second
    const body = JSON.stringify({ model: 'auto', max_tokens: 50, messages: [{ role: 'user', content: `${LONG} (messages per-key check)` }] });
    const send = async (key: string) =>
      (await fetch(`${h.gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body })).status;
    const first: number[] = [];
    for (let i = 0; i < 5; i++) first.push(await send(h.key));
    expect(first).toEqual([200, 200, 200, 429, 429]);
    expect(await send(other)).toBe(200); // without the key id in its metadata this was a 429 for the other key's loop
  });
});

describe('loop detection actions in the engine', () => {
  const ask = { tenant: 't', messages: [{ role: 'user' as const, content: LONG }], maxOutputTokens: 20 };

  it('warn: every request is served, repeats past the limit are marked and alerted', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: simPolicy({ loopDetection: { minPromptChars: 500, maxRepeats: 2, action: 'warn' } }), decisionLog: sink });
    for (let i = 0; i < 5; i++) await tg.complete(ask);
    expect(sink.records.map((r) => r.actions?.[0]?.replace(/:[0-9a-f]+$/, '') ?? '-')).toEqual(['-', '-', 'loop:warn:3x', 'loop:warn:3x', 'loop:warn:3x']);
    const monitor = new AlertMonitor({ tenants: {}, burnRate: false, anomaly: false });
    expect(sink.records.flatMap((r) => monitor.observe(r)).map((a) => a.severity)).toEqual(['ticket']);
  });

  it('throttle: repeats past the limit wait throttleMs (on the engine sleep) and are served', async () => {
    const waits: number[] = [];
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({
      policy: simPolicy({ loopDetection: { minPromptChars: 500, maxRepeats: 2, action: 'throttle', throttleMs: 750 } }),
      decisionLog: sink,
      sleep: async (ms) => void waits.push(ms),
    });
    for (let i = 0; i < 4; i++) await tg.complete(ask);
    expect(waits).toEqual([750, 750]);
    expect(sink.records.every((r) => r.outcome === 'ok')).toBe(true);
  });

  it('counts on the engine clock: repeats spread wider than the window are not a loop', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const tg = createTollgate({ policy: simPolicy({ loopDetection: { minPromptChars: 500, maxRepeats: 2, windowMs: 10_000, action: 'refuse' } }), decisionLog: new MemoryDecisionSink(), clock: () => now });
    for (let i = 0; i < 6; i++) {
      await tg.complete(ask);
      now += 6_000;
    }
    now -= 6_000; // a third within the 10 s window (24 s, 30 s, 30 s)
    await expect(tg.complete(ask)).rejects.toBeInstanceOf(LoopDetectedError);
  });
});
