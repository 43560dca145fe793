import { getEventListeners } from 'node:events';

/**
 * Reusable AbortControllers for the request path. Node builds an AbortSignal lazily on first access of
 * `controller.signal`, and that costs about 10 µs (an EventTarget with GC bookkeeping) — two per gateway
 * request (the client's disconnect, one attempt's deadline) were ~3% of the gateway's CPU. A controller
 * handed back with {@link releaseController} is reused only if its signal never aborted and nothing
 * listens on it any more (every listener removed): then no holder can tell a fresh one from it, except
 * one that kept the signal and reads `aborted` after handing it back — which the request path never does.
 */
const free: AbortController[] = [];
const MAX_FREE = 1024;

/** A controller whose signal has not aborted and has no listeners. */
export function leaseController(): AbortController {
  return free.pop() ?? new AbortController();
}

/** Hands a leased controller back once its operation has ended; dropped instead if it aborted or is still listened to. */
export function releaseController(ac: AbortController): void {
  if (free.length >= MAX_FREE || ac.signal.aborted || getEventListeners(ac.signal, 'abort').length > 0) return;
  free.push(ac);
}

/** How many controllers wait for reuse (tests and diagnostics). */
export function freeControllers(): number {
  return free.length;
}
