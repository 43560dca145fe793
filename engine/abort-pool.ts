import { getEventListeners } from 'node:events';

/**
 * Reusable AbortControllers for the request path. Node builds an AbortSignal lazily on first access of
 * `controller.signal`, and that costs about 10 µs (an EventTarget with GC bookkeeping) — two or three per
 * gateway request (the client's disconnect, one attempt's deadline, a stream's upstream signal) were ~3% of
 * the gateway's CPU. A controller handed back with {@link releaseController} is leased again only if its
 * signal never aborted and nothing listens on it any more (every listener removed): then no holder can tell
 * a fresh one from it, except one that kept the signal and reads `aborted` after handing it back — which
 * the request path never does. Listeners are checked when a controller is leased, not when it is handed
 * back: an upstream request removes its abort listener when it closes, a few ticks after the attempt that
 * handed the controller back has ended (checked at hand-back, every streamed call's deadline was dropped and
 * a new one built). A controller still listened to when leased goes to the bottom of the pool, to be tried
 * again later; one that aborted is dropped.
 */
const free: AbortController[] = [];
const MAX_FREE = 1024;
const LEASE_TRIES = 4;

/** A controller whose signal has not aborted and has no listeners. */
export function leaseController(): AbortController {
  for (let i = 0; i < LEASE_TRIES; i++) {
    const ac = free.pop();
    if (ac === undefined) break;
    if (ac.signal.aborted) continue;
    if (getEventListeners(ac.signal, 'abort').length === 0) return ac;
    free.unshift(ac); // its last holder's listener is still on its way out
  }
  return new AbortController();
}

/** Hands a leased controller back once its operation has ended (one that aborted is dropped at once). */
export function releaseController(ac: AbortController): void {
  if (free.length < MAX_FREE && !ac.signal.aborted) free.push(ac);
}

/** How many controllers wait for reuse (tests and diagnostics). */
export function freeControllers(): number {
  return free.length;
}
