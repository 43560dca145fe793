import { ProviderError } from '../engine/errors.js';

/**
 * Shared mapping from HTTP outcomes to {@link ProviderError} kinds, used by every HTTP model adapter.
 *
 * - 429 → `rate_limited`; 5xx (including Anthropic's 529 "overloaded") → `server_error`; other 4xx →
 *   `client_error`. A Retry-After (or `retry-after-ms`) header, when present, becomes `retryAfterMs`.
 * - A failure while sending or reading: `timeout` when the attempt's signal has aborted, else `network`.
 * Messages name the model and the status only: never the URL, the request body or any credential.
 */

/**
 * Milliseconds to wait according to the response headers, or `undefined` when none is usable.
 * `retry-after-ms` (OpenAI) wins over `Retry-After`, which may be delta-seconds or an HTTP date.
 * A date in the past gives 0; anything else (negative numbers, words) gives `undefined`.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = /[a-z]/i.test(value) ? Date.parse(value) : NaN; // an HTTP date names a day and a month
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The ProviderError kind for a non-2xx HTTP status. */
export function kindForStatus(status: number): 'rate_limited' | 'server_error' | 'client_error' {
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

/**
 * Builds the error for a non-2xx response. `vendorType` is the vendor's error type or code
 * (e.g. `rate_limit_error`, `overloaded_error`); it is kept only if it looks like an identifier.
 */
export function errorForStatus(modelId: string, status: number, headers: Headers, vendorType?: string): ProviderError {
  const suffix = vendorType && /^[\w.-]{1,64}$/.test(vendorType) ? ` (${vendorType})` : '';
  return new ProviderError(kindForStatus(status), modelId, `${modelId}: upstream answered HTTP ${status}${suffix}`, status, parseRetryAfter(headers));
}

/**
 * Maps an error thrown while sending a request or reading its answer. ProviderErrors pass through;
 * an aborted signal means `timeout` (the engine aborts on its per-attempt timeout or a caller cancel);
 * anything else (refused, reset, terminated) is `network`. The original error is kept as `cause`.
 */
export function errorForFailure(modelId: string, err: unknown, signal: AbortSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal.aborted) return new ProviderError('timeout', modelId, `${modelId}: request aborted (timeout or cancel)`, undefined, undefined, { cause: err });
  return new ProviderError('network', modelId, `${modelId}: connection failed or was cut (${describe(err)})`, undefined, undefined, { cause: err });
}

/** A response that is not the protocol: malformed JSON, missing fields, an unexpected event. */
export function badResponse(modelId: string, what: string): ProviderError {
  return new ProviderError('bad_response', modelId, `${modelId}: bad response from upstream: ${what}`);
}

/** A short, credential-free description: the system error code (ECONNREFUSED…) or the error's name. */
function describe(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  const own = (err as { code?: unknown } | null)?.code;
  if (typeof own === 'string') return own;
  return err instanceof Error ? err.name : 'unknown error';
}

/** The event stream ended (cleanly or not) before the protocol's terminal event: the answer is incomplete. */
export function streamCut(modelId: string, missing: string): ProviderError {
  return new ProviderError('network', modelId, `${modelId}: stream ended before ${missing}`);
}
