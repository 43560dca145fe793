import { TollgateError } from './errors.js';
import type { CachedAnswer } from './seams/cache.js';

/**
 * How long a failed single flight keeps answering identical requests with its failure (engine clock,
 * ms). Without it, 200 identical requests to a failing model made 400 vendor calls (each follower
 * retried on its own once the leader failed); with it, they share the leader's calls.
 */
export const FAILURE_WINDOW_MS = 1_000;

/** The leader failed with a failure its followers share (the model, not the request, was at fault). */
export interface FlightFailure {
  failed: TollgateError;
  leader: string;
  until: number;
}

/** What a flight resolves to: the answer, a shared failure, or nothing (followers go on as misses). */
export type FlightResult = CachedAnswer | FlightFailure | undefined;

export const isFlightFailure = (r: FlightResult): r is FlightFailure => !!r && 'failed' in r;

/** Failures that say something about the models rather than this one request: all models failed, or a provider error. */
export const coalescable = (e: TollgateError): boolean => e.code === 'all_models_failed' || e.code.startsWith('provider_');

/** The error a follower fails with: the leader's code and status, no calls of its own (its record says attempts 0). */
export function followerError(f: FlightFailure): TollgateError {
  return new TollgateError(f.failed.code, f.failed.message, { ...f.failed.details, coalescedWith: f.leader });
}

/** Keeps a failed flight in the map for the window (then removes it, unless a new flight took the key). */
export function holdFailure(map: Map<string, Promise<FlightResult>>, key: string, flight: Promise<FlightResult>): void {
  setTimeout(() => {
    if (map.get(key) === flight) map.delete(key);
  }, FAILURE_WINDOW_MS).unref();
}
