import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../engine/circuit-breaker.js';

/** The breaker machine alone, on a fake clock: every transition and every way a half-open trial ends. */
function fixture(threshold = 2, cooldownMs = 1_000) {
  let t = 10_000;
  const breaker = new CircuitBreaker(threshold, cooldownMs, () => t);
  return { breaker, advance: (ms: number) => (t += ms), now: () => t };
}

/** Opens `m` with `threshold` counted failures. */
function trip(b: CircuitBreaker, m: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const ticket = b.allow(m)!;
    ticket.failure();
    ticket.release();
  }
}

describe('CircuitBreaker (xstate machine on the engine clock)', () => {
  it('stays closed below the threshold and a success resets the count', () => {
    const { breaker } = fixture(3);
    trip(breaker, 'm', 2);
    expect(breaker.describe('m')).toMatchObject({ state: 'closed', failures: 2 });
    breaker.allow('m')!.success();
    expect(breaker.describe('m')).toMatchObject({ state: 'closed', failures: 0 });
    trip(breaker, 'm', 2);
    expect(breaker.describe('m').state).toBe('closed');
  });

  it('opens at the threshold, refuses during the cooldown of the injected clock, then lets exactly one trial through', () => {
    const { breaker, advance, now } = fixture(2, 1_000);
    trip(breaker, 'm', 2);
    expect(breaker.describe('m')).toMatchObject({ state: 'open', failures: 2, openUntil: now() + 1_000, trialInFlight: false });
    expect(breaker.allow('m')).toBeUndefined();
    advance(999);
    expect(breaker.allow('m')).toBeUndefined();
    advance(1);
    const trial = breaker.allow('m');
    expect(trial?.trial).toBe(true);
    expect(breaker.describe('m')).toMatchObject({ state: 'half-open', trialInFlight: true });
    expect(breaker.allow('m')).toBeUndefined(); // one trial at a time
    expect(breaker.isOpen('m')).toBe(true);
  });

  it('half-open + success → closed', () => {
    const { breaker, advance } = fixture();
    trip(breaker, 'm', 2);
    advance(1_000);
    const trial = breaker.allow('m')!;
    trial.success();
    trial.release();
    expect(breaker.describe('m')).toMatchObject({ state: 'closed', failures: 0 });
    expect(breaker.allow('m')?.trial).toBe(false);
  });

  it('half-open + failure (5xx, timeout, cut stream) → open again for a fresh cooldown from the failure time', () => {
    const { breaker, advance, now } = fixture();
    trip(breaker, 'm', 2);
    advance(5_000);
    const trial = breaker.allow('m')!;
    advance(300); // the trial took 300 ms
    trial.failure();
    trial.release();
    expect(breaker.describe('m')).toMatchObject({ state: 'open', openUntil: now() + 1_000, trialInFlight: false });
    expect(breaker.allow('m')).toBeUndefined();
    advance(1_000);
    expect(breaker.allow('m')?.trial).toBe(true);
  });

  it('half-open + neutral end (4xx, abort, an exception): the slot is released and the next request is the trial', () => {
    const { breaker, advance } = fixture();
    trip(breaker, 'm', 2);
    advance(1_000);
    const trial = breaker.allow('m')!;
    trial.release(); // what invoke's finally does when no outcome was reported
    expect(breaker.describe('m')).toMatchObject({ state: 'open', trialInFlight: false });
    const next = breaker.allow('m');
    expect(next?.trial).toBe(true);
    next!.success();
    expect(breaker.describe('m').state).toBe('closed');
  });

  it('outcomes of calls admitted before the circuit opened do not move a half-open circuit; release is idempotent', () => {
    const { breaker, advance } = fixture(1);
    const early = breaker.allow('m')!; // admitted while closed
    trip(breaker, 'm', 1);
    advance(1_000);
    const trial = breaker.allow('m')!;
    early.failure();
    early.release();
    expect(breaker.describe('m').state).toBe('half-open');
    trial.release();
    trial.release();
    trial.failure(); // after release: ignored for the trial slot (the circuit is open, nothing counts)
    expect(breaker.describe('m')).toMatchObject({ state: 'open', failures: 1 });
  });

  it('keeps circuits per model and snapshots every model that was touched', () => {
    const { breaker } = fixture(1);
    trip(breaker, 'a', 1);
    breaker.allow('b')!.failure();
    breaker.allow('c')!.success(); // a clean success creates no state
    expect(breaker.snapshot().map((s) => [s.model, s.state])).toEqual([
      ['a', 'open'],
      ['b', 'open'],
    ]);
    expect(breaker.describe('c')).toEqual({ model: 'c', state: 'closed', failures: 0, trialInFlight: false });
  });
});
