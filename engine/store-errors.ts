import { TollgateError } from './errors.js';

/**
 * A shared store (Redis) could not answer: connection refused, timed out, script error. The
 * operation's effect is unknown only for `settle`/`refund` (both idempotent, so retrying is safe);
 * a failed `reserve` or rate-limit `take` held nothing unless its reply was lost in transit, in which
 * case the reservation expires with its record. `cause` carries the client's error.
 */
export class StoreUnavailableError extends TollgateError {
  constructor(readonly store: string, readonly operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('store_unavailable', `${store} ${operation} failed: ${reason}`, { store, operation }, { cause });
  }
}
