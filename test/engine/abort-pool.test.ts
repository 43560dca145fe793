import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { AllModelsFailedError } from '../../engine/errors.js';
import { freeControllers, leaseController, releaseController } from '../../engine/abort-pool.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

let vendor: FakeVendor;
beforeAll(async () => {
  process.env.TOLLGATE_TEST_KEY = 'sk-test-abort-pool';
  vendor = await startFakeVendor();
});
afterAll(async () => vendor.close());

describe('abort controller pool', () => {
  it('reuses a controller that never aborted and has no listeners left', () => {
    const a = leaseController();
    const f = () => undefined;
    a.signal.addEventListener('abort', f);
    a.signal.removeEventListener('abort', f);
    releaseController(a);
    expect(leaseController()).toBe(a);
  });

  it('drops a controller that aborted or is still listened to', () => {
    const aborted = leaseController();
    aborted.abort();
    releaseController(aborted);
    const listened = leaseController();
    listened.signal.addEventListener('abort', () => undefined);
    releaseController(listened);
    const next = leaseController();
    expect(next).not.toBe(aborted);
    expect(next).not.toBe(listened);
    expect(next.signal.aborted).toBe(false);
  });

  it('leases a controller handed back while still listened to once its listener is gone', () => {
    for (let i = 0; i < 64 && freeControllers() > 0; i++) leaseController(); // start from an empty pool
    const a = leaseController();
    const f = () => undefined;
    a.signal.addEventListener('abort', f);
    releaseController(a);
    expect(leaseController()).not.toBe(a); // its holder's listener is still there
    a.signal.removeEventListener('abort', f);
    expect(leaseController()).toBe(a);
  });

  it('gets a streamed call’s controllers back too (its upstream request lets go of the deadline a few ticks late)', async () => {
    const policy = httpPolicy(vendor.url, { m1: 'ok' });
    const tg = createTollgate({ policy, decisionLog: new MemoryDecisionSink() });
    const streamOnce = async (i: number) => {
      for await (const _ of tg.stream({ tenant: 'acme', messages: [{ role: 'user', content: `hello ${i}` }] }));
    };
    await streamOnce(0);
    await streamOnce(1);
    const before = freeControllers();
    expect(before).toBeGreaterThanOrEqual(2); // the stream's upstream signal and its attempt deadline
    for (let i = 2; i < 8; i++) await streamOnce(i);
    expect(freeControllers()).toBe(before);
    await tg.close();
  });

  it('gets each attempt deadline back after a real HTTP call, and a reused one still times out the next attempt', async () => {
    const policy = httpPolicy(vendor.url, { m1: 'ok' }, { retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 300 } });
    const tg = createTollgate({ policy, decisionLog: new MemoryDecisionSink() });
    await tg.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'hello' }] });
    const before = freeControllers();
    expect(before).toBeGreaterThan(0); // the attempt's controller came back once the call had ended
    for (let i = 0; i < 5; i++) await tg.complete({ tenant: 'acme', messages: [{ role: 'user', content: `hello ${i}` }] });
    expect(freeControllers()).toBe(before); // leased and returned, not piling up
    vendor.setBehaviour('hang');
    try {
      const failed = await tg.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'hang' }] }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(AllModelsFailedError);
      expect((failed as AllModelsFailedError).attempts[0]!.code).toBe('provider_timeout'); // the reused controller's deadline fired
    } finally {
      vendor.setBehaviour(undefined);
    }
    await tg.close();
  });
});
