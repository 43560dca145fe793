import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTollgate } from '../../compose.js';
import type { Tollgate } from '../../engine/tollgate.js';
import { type FakeBehaviour, type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

/**
 * Every way a half-open trial can end, through the real engine (OpenAI-compatible adapter against the fake
 * vendor) on a fake engine clock: each ends with the trial slot released, so the model is tried again.
 */
const COOLDOWN = 60_000;
const ask = { tenant: 'acme', messages: [{ role: 'user' as const, content: 'hello' }] };

let vendor: FakeVendor;
let flaky: FakeBehaviour = 'ok';
let t = 1_000_000;
let tg: Tollgate;

beforeAll(async () => {
  process.env.TOLLGATE_TEST_KEY = 'sk-test';
  vendor = await startFakeVendor({ retryAfter: '0' });
  vendor.setBehaviour((body) => (body.model === 'flaky-upstream' ? flaky : 'ok'));
});
afterAll(async () => vendor.close());

beforeEach(async () => {
  t = 1_000_000;
  tg = createTollgate({
    policy: httpPolicy(vendor.url, { flaky: 'flaky-upstream', backup: 'ok' }, {
      circuitBreaker: { failureThreshold: 1, cooldownMs: COOLDOWN },
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 300 },
    }),
    clock: () => t,
  });
  // Open flaky's circuit, then let the cooldown pass on the engine clock.
  flaky = '500';
  expect((await tg.complete(ask)).model).toBe('backup');
  expect(circuit()).toMatchObject({ state: 'open', failures: 1, openUntil: t + COOLDOWN });
  t += COOLDOWN;
});

const circuit = () => tg.inspect().models.find((m) => m.model === 'flaky')!;
const flakyCalls = () => vendor.requests.filter((r) => (r.body as { model?: string }).model === 'flaky-upstream').length;

/** After a trial that re-opened the circuit: refused during the cooldown, tried once it passed, closed by a success. */
async function expectReopenedThenRecovers(): Promise<void> {
  expect(circuit()).toMatchObject({ state: 'open', trialInFlight: false, openUntil: t + COOLDOWN });
  const before = flakyCalls();
  expect((await tg.complete(ask)).model).toBe('backup');
  expect(flakyCalls()).toBe(before); // still cooling down: not called
  t += COOLDOWN;
  flaky = 'ok';
  expect((await tg.complete(ask)).model).toBe('flaky');
  expect(circuit()).toMatchObject({ state: 'closed', failures: 0 });
}

/** After a trial whose outcome says nothing about the model: the slot is free and the very next request is a trial. */
async function expectReleasedAndTriedNext(): Promise<void> {
  expect(circuit()).toMatchObject({ state: 'open', trialInFlight: false });
  flaky = 'ok';
  const before = flakyCalls();
  expect((await tg.complete(ask)).model).toBe('flaky');
  expect(flakyCalls()).toBe(before + 1);
  expect(circuit()).toMatchObject({ state: 'closed', failures: 0 });
}

describe('half-open trial outcomes (engine clock, fake vendor)', () => {
  it('success closes the circuit', async () => {
    flaky = 'ok';
    expect((await tg.complete(ask)).model).toBe('flaky');
    expect(circuit()).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('a 5xx re-opens it for a fresh cooldown', async () => {
    flaky = '500';
    expect((await tg.complete(ask)).model).toBe('backup');
    await expectReopenedThenRecovers();
  });

  it('a timeout re-opens it', async () => {
    flaky = 'hang';
    const r = await tg.complete(ask);
    expect(r.model).toBe('backup');
    expect(r.record.fallbacks).toEqual([{ model: 'flaky', code: 'provider_timeout' }]);
    await expectReopenedThenRecovers();
  });

  it('a stream the vendor cuts after text was sent re-opens it (and the trial slot is not left claimed)', async () => {
    flaky = 'cut-stream';
    let text = '';
    await expect(
      (async () => {
        for await (const c of tg.stream(ask)) if (c.type === 'delta') text += c.text;
      })(),
    ).rejects.toMatchObject({ code: 'stream_interrupted' });
    expect(text.length).toBeGreaterThan(0);
    await expectReopenedThenRecovers();
  });

  it('a 4xx releases the trial without judging the model', async () => {
    flaky = '400';
    const r = await tg.complete(ask);
    expect(r.record.fallbacks).toEqual([{ model: 'flaky', code: 'provider_client_error' }]);
    await expectReleasedAndTriedNext();
  });

  it("the caller's abort releases the trial", async () => {
    flaky = 'hang';
    const ac = new AbortController();
    const base = flakyCalls();
    const pending = tg.complete(ask, { signal: ac.signal });
    pending.catch(() => undefined);
    while (flakyCalls() === base) await new Promise((r) => setTimeout(r, 5)); // the trial reached the vendor
    expect(circuit()).toMatchObject({ state: 'half-open', trialInFlight: true });
    ac.abort();
    await expect(pending).rejects.toBeTruthy();
    await expectReleasedAndTriedNext();
  });
});
