import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { AllModelsFailedError, TollgateError, ValidationError } from '../index.js';
import { redactSecrets } from '../index.js';
import { errorBody, type OpenAIErrorBody } from './openai-shapes.js';

/** An HTTP answer for a failure: status, OpenAI-shaped body and extra headers (Retry-After). */
export interface HttpFailure {
  status: number;
  body: OpenAIErrorBody;
  headers: Record<string, string>;
}

/** Retry-After in whole seconds (at least 1) from milliseconds. */
export const retryAfterSeconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));

/** When a budget refusal says it can never fit (no `retryAfterMs`), clients are told to come back in an hour. */
const BUDGET_RETRY_FALLBACK_MS = 3_600_000;

/** Engine request fields under the Chat Completions body names a client sent. */
const BODY_FIELD: Record<string, string> = {
  maxOutputTokens: 'max_tokens', topP: 'top_p', toolChoice: 'tool_choice', parallelToolCalls: 'parallel_tool_calls',
  responseFormat: 'response_format', reasoningEffort: 'reasoning_effort', serviceTier: 'service_tier',
};

/** An engine field path in the body's names (`responseFormat.json_schema.schema` → `response_format.json_schema.schema`). */
export function wirePath(path: string): string {
  const m = /^[A-Za-z]+/.exec(path);
  const head = m ? BODY_FIELD[m[0]] : undefined;
  return head ? head + path.slice(m![0].length) : path;
}

/**
 * Maps an engine error to the gateway's HTTP answer. Codes are stable:
 * - `invalid_request` → 400 `invalid_request_error` (param: the first failing field path; message: all of them);
 *   an absurd `max_tokens` (above every model's context window) is one of these, not a 429
 * - `loop_detected` (a runaway client: the same long prompt repeated past the policy's `loopDetection`) → 429 + Retry-After
 * - `prompt_too_large` (over the policy's `defaults.maxPromptChars`, refused before counting) → 400, param: the field
 * - `unknown_model` → 404 `model_not_found`; `context_window_exceeded` → 400 `context_length_exceeded`;
 *   `no_eligible_model` → 422
 * - `budget_exceeded` → 429 `insufficient_quota`; `rate_limited` → 429 `rate_limit_exceeded`; both with Retry-After
 * - `all_models_failed` (after the policy's retries and fallbacks) → 504 when every attempt timed out,
 *   503 when every attempt was refused for capacity (429, open circuit), else 502; type `upstream_error`
 * - `stream_interrupted` (a stream failed after text was sent; no fallback possible) → 502, inside the SSE stream
 * - `idempotency_conflict` (an `x-request-id` reused with a different body) → 409
 * - `store_unavailable` (Redis unreachable under `onStoreUnavailable: fail-closed`, or fail-open past its cap) → 503 + Retry-After: 1
 * - anything else → 500 `internal_error`. Messages are passed through {@link redactSecrets}.
 */
export function httpFailure(err: unknown): HttpFailure {
  if (!(err instanceof TollgateError)) return fail(500, 'server_error', 'internal_error', 'internal error');
  const msg = redactSecrets(err.message);
  switch (err.code) {
    case 'invalid_request': {
      const issues = err instanceof ValidationError ? err.issues : [];
      const path = issues[0]?.path;
      return fail(400, 'invalid_request_error', 'invalid_request', msg, path === undefined ? null : wirePath(path));
    }
    case 'loop_detected':
      return fail(429, 'rate_limit_error', 'loop_detected', msg, null, { 'retry-after': retryAfterSeconds(Number(err.details.retryAfterMs) || 1000) });
    case 'prompt_too_large':
      return fail(400, 'invalid_request_error', 'prompt_too_large', msg, String(err.details.field ?? 'messages'));
    case 'unknown_model':
      return fail(404, 'invalid_request_error', 'model_not_found', msg, 'model');
    case 'context_window_exceeded':
      return fail(400, 'invalid_request_error', 'context_length_exceeded', msg, 'messages');
    case 'no_eligible_model':
      return fail(422, 'invalid_request_error', 'no_eligible_model', msg);
    case 'budget_exceeded': {
      const ms = (err.details.retryAfterMs as number | undefined) ?? BUDGET_RETRY_FALLBACK_MS;
      return fail(429, 'insufficient_quota', 'budget_exceeded', msg, null, { 'retry-after': retryAfterSeconds(ms) });
    }
    case 'rate_limited':
      return fail(429, 'rate_limit_error', 'rate_limit_exceeded', msg, null, { 'retry-after': retryAfterSeconds(Number(err.details.retryAfterMs) || 1000) });
    case 'stream_interrupted':
      return fail(502, 'upstream_error', 'stream_interrupted', msg);
    case 'idempotency_conflict':
      return fail(409, 'invalid_request_error', 'idempotency_conflict', msg, null);
    case 'store_unavailable':
      return fail(503, 'server_error', 'store_unavailable', msg, null, { 'retry-after': '1' });
    case 'all_models_failed':
      return fail(upstreamStatus(err as AllModelsFailedError), 'upstream_error', 'all_models_failed', msg);
    default:
      if (err.code.startsWith('provider_')) return fail(err.code === 'provider_timeout' ? 504 : 502, 'upstream_error', err.code, msg);
      return fail(500, 'server_error', err.code, msg);
  }
}

function upstreamStatus(err: AllModelsFailedError): number {
  const codes = (err.attempts ?? []).map((a) => a.code);
  if (codes.length && codes.every((c) => c === 'provider_timeout')) return 504;
  if (codes.length && codes.every((c) => c === 'provider_rate_limited' || c === 'provider_circuit_open')) return 503;
  return 502;
}

export function fail(status: number, type: string, code: string | null, message: string, param: string | null = null, headers: Record<string, string> = {}): HttpFailure {
  return { status, body: errorBody(message, type, code, param), headers };
}

/**
 * Node's answer to a request it could not parse (before fastify sees it), OpenAI-shaped like every other
 * gateway error: 431 `request_header_too_large` for headers over node's `maxHeaderSize` (16 KiB by
 * default), 408 for a request that timed out while arriving, 400 `malformed_request` otherwise. A socket
 * that can no longer be written (reset by the peer) is destroyed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request_header_too_large', 'Request header fields too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'Request timed out before it was complete']
        : [400, 'malformed_request', 'Malformed HTTP request'];
  const body = JSON.stringify(errorBody(message, 'invalid_request_error', code, null));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Sends a failure: its status, headers (e.g. `Retry-After`) and OpenAI-style error body. */
export function sendFailure(reply: FastifyReply, f: HttpFailure): FastifyReply {
  return reply.code(f.status).headers(f.headers).send(f.body);
}
