import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { ProviderError } from '../engine/errors.js';
import type { ModelSpec } from '../policies/schema.js';
import { badResponse, errorForFailure, errorForStatus } from './http-errors.js';
import { parseSseBatches, type SseEvent } from './sse.js';

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
  /** Sent as `JSON.stringify(body)`, unless `json` is given. */
  body: unknown;
  /** The whole body already serialised: sent as is, and `body` is not read (it may lack what `json` added). */
  json?: string;
  signal: AbortSignal;
}

/**
 * `base` (the model's endpoint, or the vendor default) without trailing slashes, plus `path`.
 * `dropSuffix` is removed from the base first when present (e.g. a base given as `…/v1`).
 * An unparsable endpoint is a `client_error` (configuration, not retried).
 */
export function endpointUrl(modelId: string, base: string, path: string, dropSuffix?: string): string {
  const memoKey = `${base}\n${path}\n${dropSuffix ?? ''}`;
  const known = endpointUrls.get(memoKey);
  if (known !== undefined) return known;
  let root = base.replace(/\/+$/, '');
  if (dropSuffix && root.endsWith(dropSuffix)) root = root.slice(0, -dropSuffix.length);
  const url = `${root}${path}`;
  if (!URL.canParse(url)) throw new ProviderError('client_error', modelId, `${modelId}: endpoint is not a valid URL`);
  if (endpointUrls.size >= 256) endpointUrls.clear();
  endpointUrls.set(memoKey, url);
  return url;
}
/** Valid endpoint URLs already built (a policy has a handful; bounded anyway): no regex and URL parse per call. */
const endpointUrls = new Map<string, string>();

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

/** A 2xx upstream answer whose body is still unread (read it once, as text or as a stream). */
export interface UpstreamResponse {
  status: number;
  contentType: string;
  text(): Promise<string>;
  stream(): ReadableStream<Uint8Array>;
  /** The body as the Node stream's chunks (cheaper than {@link stream}'s web stream); an early return destroys it. */
  chunks(): AsyncIterable<Uint8Array>;
  discard(): void;
}

/**
 * Sends the POST and resolves with a 2xx response whose body is still unread. A non-2xx answer is
 * read (for the vendor's error type and Retry-After) and thrown as the mapped ProviderError.
 */
export async function postJson(req: UpstreamPost): Promise<UpstreamResponse> {
  let res: IncomingMessage;
  try {
    res = await send(req.url, req.headers, req.json ?? JSON.stringify(req.body), req.signal);
  } catch (err) {
    throw errorForFailure(req.modelId, err, req.signal);
  }
  const status = res.statusCode ?? 502;
  const answer: UpstreamResponse = {
    status,
    contentType: headerValue(res, 'content-type'),
    text: () => readBody(res),
    stream: () => Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>,
    chunks: () => bodyChunks(res),
    discard: () => res.resume(),
  };
  if (status >= 200 && status < 300) return answer;
  const text = await answer.text().catch((err: unknown) => {
    throw errorForFailure(req.modelId, err, req.signal);
  });
  throw errorForStatus(req.modelId, status, toHeaders(res), vendorErrorType(text));
}

/**
 * The body's chunks. A consumer that stops early (a terminal event such as `[DONE]` read before the stream's
 * own end) leaves a complete body to drain, so its keep-alive socket goes back to the pool; a body still
 * arriving is destroyed, which closes the connection.
 */
function bodyChunks(res: IncomingMessage): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const it = res.iterator({ destroyOnReturn: false }) as AsyncIterator<Uint8Array>;
      return {
        next: () => it.next(),
        return: async () => {
          await it.return?.();
          if (res.complete) res.resume();
          else res.destroy();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** Keep-alive connection pools shared by every adapter (one per protocol). */
const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 512 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 512 }) };

/**
 * One POST over node:http(s) with keep-alive. (Global `fetch` with WHATWG streams cost about 1 ms more
 * per call on loopback — measured with bench/gateway.ts — most of the gateway's overhead budget.)
 * Aborting `signal` destroys the request and its response body. (The signal is watched with one listener,
 * removed when the request closes, rather than passed as `options.signal`, whose end-of-stream tracking
 * cost about 2% of the gateway's CPU in a profile.)
 */
function send(url: string, headers: Record<string, string>, body: string, signal: AbortSignal, retried = false): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const t = target(url);
    const h: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    for (const k in headers) h[k] = headers[k]!;
    const options = { ...t.options, method: 'POST', headers: h, agent: t.https ? agents.https : agents.http };
    let answered = false;
    const r = t.https ? httpsRequest(options, onResponse) : httpRequest(options, onResponse);
    function onResponse(res: IncomingMessage) {
      answered = true;
      resolve(res);
    }
    const onAbort = () => r.destroy(abortError(signal));
    if (signal.aborted) process.nextTick(onAbort);
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      r.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    r.on('error', (err: NodeJS.ErrnoException) => {
      // A pooled keep-alive socket the server closed while it sat idle fails the next request on it with
      // ECONNRESET/EPIPE before any response: the request never reached the server, so it is sent once
      // more on a fresh socket (Node's documented `reusedSocket` pattern). Never after a response began.
      if (!retried && !answered && r.reusedSocket && !signal.aborted && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        send(url, headers, body, signal, true).then(resolve, reject);
        return;
      }
      reject(err);
    });
    r.end(body); // a string: node writes it with the request head in one write
  });
}

/** What `options.signal` would have destroyed the request with: an `AbortError` carrying the signal's reason. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

interface Target {
  https: boolean;
  options: { protocol: string; hostname: string; port?: string; path: string; auth?: string; servername: string };
}
/** Request options per endpoint URL, parsed once (a policy has a handful of endpoints; bounded anyway). */
const targets = new Map<string, Target>();

function target(url: string): Target {
  let t = targets.get(url);
  if (t) return t;
  const u = new URL(url);
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const auth = u.username || u.password ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined;
  const https = u.protocol === 'https:';
  // The TLS server name the agent would work out from the Host header on every request (none for an IP, or for http).
  const servername = https && isIP(hostname) === 0 ? hostname : '';
  t = { https, options: { protocol: u.protocol, hostname, ...(u.port && { port: u.port }), path: `${u.pathname}${u.search}`, ...(auth && { auth }), servername } };
  if (targets.size >= 256) targets.clear();
  targets.set(url, t);
  return t;
}

/** The whole body as UTF-8; rejects if the connection closes before the body ends. */
function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    res.on('error', reject);
    res.on('close', () => {
      if (!ended) reject(Object.assign(new Error('response body cut'), { code: 'ECONNRESET' }));
    });
  });
}

function headerValue(res: IncomingMessage, name: string): string {
  const v = res.headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

function toHeaders(res: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (Array.isArray(v)) for (const x of v) h.append(k, x);
    else if (v !== undefined) h.set(k, v);
  }
  return h;
}

/** Reads the whole body as JSON; malformed JSON is `bad_response`, a cut or abort is `network`/`timeout`. */
export async function readJson(res: UpstreamResponse, modelId: string, signal: AbortSignal): Promise<unknown> {
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
 * The response's server-sent events, as the arrays each network chunk completes ({@link parseSseBatches}).
 * A body that is not `text/event-stream` is `bad_response`; a read failure is `timeout` (signal aborted) or
 * `network`. The caller decides whether the stream reached its terminal event.
 */
export async function* readEventBatches(res: UpstreamResponse, modelId: string, signal: AbortSignal): AsyncGenerator<SseEvent[]> {
  if (!res.contentType.includes('text/event-stream')) {
    res.discard();
    throw badResponse(modelId, `expected an event stream, got "${res.contentType.slice(0, 64)}"`);
  }
  try {
    yield* parseSseBatches(res.chunks());
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
