import { ProviderError } from '../engine/errors.js';
import type { ModelSpec } from '../policies/schema.js';
import { badResponse, errorForFailure, errorForStatus } from './http-errors.js';
import { parseSse, type SseEvent } from './sse.js';

/**
 * The HTTP plumbing shared by the model adapters: URL building, API-key lookup, one POST with
 * failure mapping, and reading a JSON or event-stream answer. Every failure leaves here as a
 * {@link ProviderError}; nothing here logs, and no message carries a URL, body or credential.
 */

/** One upstream POST. `headers` may carry credentials: they are sent, never reported. */
export interface UpstreamPost {
  modelId: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal;
}

/**
 * `base` (the model's endpoint, or the vendor default) without trailing slashes, plus `path`.
 * `dropSuffix` is removed from the base first when present (e.g. a base given as `…/v1`).
 * An unparsable endpoint is a `client_error` (configuration, not retried).
 */
export function endpointUrl(modelId: string, base: string, path: string, dropSuffix?: string): string {
  let root = base.replace(/\/+$/, '');
  if (dropSuffix && root.endsWith(dropSuffix)) root = root.slice(0, -dropSuffix.length);
  const url = `${root}${path}`;
  if (!URL.canParse(url)) throw new ProviderError('client_error', modelId, `${modelId}: endpoint is not a valid URL`);
  return url;
}

/**
 * The API key from the environment variable named by `model.apiKeyEnv`; `undefined` when the model
 * declares none (self-hosted servers). A declared but unset variable is a `client_error` naming the variable.
 */
export function apiKeyFor(model: ModelSpec): string | undefined {
  if (!model.apiKeyEnv) return undefined;
  const key = process.env[model.apiKeyEnv];
  if (!key) throw new ProviderError('client_error', model.id, `${model.id}: environment variable ${model.apiKeyEnv} is not set`);
  return key;
}

/**
 * Sends the POST and resolves with a 2xx response whose body is still unread. A non-2xx answer is
 * read (for the vendor's error type and Retry-After) and thrown as the mapped ProviderError.
 */
export async function postJson(req: UpstreamPost): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...req.headers },
      body: JSON.stringify(req.body),
      signal: req.signal,
    });
  } catch (err) {
    throw errorForFailure(req.modelId, err, req.signal);
  }
  if (res.ok) return res;
  const text = await res.text().catch((err: unknown) => {
    throw errorForFailure(req.modelId, err, req.signal);
  });
  throw errorForStatus(req.modelId, res.status, res.headers, vendorErrorType(text));
}

/** Reads the whole body as JSON; malformed JSON is `bad_response`, a cut or abort is `network`/`timeout`. */
export async function readJson(res: Response, modelId: string, signal: AbortSignal): Promise<unknown> {
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw errorForFailure(modelId, err, signal);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badResponse(modelId, 'malformed JSON');
  }
}

/**
 * The response's server-sent events. A body that is not `text/event-stream` is `bad_response`;
 * a read failure is `timeout` (signal aborted) or `network`. The caller decides whether the stream
 * reached its terminal event.
 */
export async function* readEvents(res: Response, modelId: string, signal: AbortSignal): AsyncGenerator<SseEvent> {
  const type = res.headers.get('content-type') ?? '';
  if (!res.body || !type.includes('text/event-stream')) {
    await res.body?.cancel().catch(() => undefined);
    throw badResponse(modelId, `expected an event stream, got "${type.slice(0, 64)}"`);
  }
  try {
    yield* parseSse(res.body);
  } catch (err) {
    throw errorForFailure(modelId, err, signal);
  }
}

/** Parses an SSE `data` payload; anything but JSON is `bad_response`. */
export function parseEventData(modelId: string, data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw badResponse(modelId, 'malformed JSON in event stream');
  }
}

/** The vendor's error type from an error body (`{ error: { type | code } }`, shared by OpenAI and Anthropic). */
function vendorErrorType(text: string): string | undefined {
  try {
    const err = (JSON.parse(text) as { error?: { type?: unknown; code?: unknown } } | null)?.error;
    const t = err?.type ?? err?.code;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}
