import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicWire, fakeAnswer, openaiWire } from './fake-vendor-protocols.js';
import { fakeEmbeddings } from './fake-vendor-embeddings.js';
import { anthropicToolMessage, anthropicToolStream, fakeToolCalls, openaiToolCompletion, openaiToolStream } from './fake-vendor-tools.js';

export { fakeAnswer, fakeAnswerText, fakeCacheSplit, fakeTokenCount } from './fake-vendor-protocols.js';

/**
 * What the fake does with a request:
 * - `ok`: a normal answer (streamed when the body asks for `stream`); `cache`: the same, with half the
 *   prompt reported as cache reads (and, for Anthropic, a quarter as cache writes).
 * - `429` (with `Retry-After`), `500`, `529` (Anthropic "overloaded"), `400`: that status and a vendor-shaped error body.
 * - `hang`: never answers (streams: sends headers and one delta, then nothing) until the client gives up.
 * - `malformed`: invalid JSON (streams: one bad `data:` line); `bad-shape`: valid JSON missing required fields.
 * - `cut-stream`: a few deltas (or part of the body), then the socket is destroyed.
 * - `early-eof`: a few deltas, then a clean end without the terminal event (non-streaming: a truncated body).
 * - `no-usage`: a normal answer without any usage numbers.
 * - `error-event`: a stream that reports an error mid-way (OpenAI `{error}` chunk / Anthropic `overloaded_error` event).
 */
export const FAKE_BEHAVIOURS = ['ok', 'cache', '429', '500', '529', '400', 'hang', 'malformed', 'bad-shape', 'cut-stream', 'early-eof', 'no-usage', 'error-event'] as const;
export type FakeBehaviour = (typeof FAKE_BEHAVIOURS)[number];

/** One request the fake received. `headers` are kept verbatim so tests can check credentials arrived. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The body's text as it arrived. */
  rawBody: string;
  behaviour: FakeBehaviour;
}

export interface FakeVendorOptions {
  /** Delay before any answer starts, ms (default 0). */
  latencyMs?: number;
  /** Delay between streamed events, ms (default 0). */
  chunkDelayMs?: number;
  /** `Retry-After` header value sent with `429` (default `'2'`). */
  retryAfter?: string;
  /** When set, requests must carry this key (`Authorization: Bearer` or `x-api-key`) or get a 401. */
  apiKey?: string;
}

export interface FakeVendor {
  /** Base URL `http://127.0.0.1:PORT` (Anthropic endpoint). */
  url: string;
  /** `${url}/v1`, the base URL an OpenAI client or the OpenAI-compatible adapter takes. */
  openaiBaseUrl: string;
  port: number;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Requests received on `path` (e.g. `/v1/chat/completions`), or in total. */
  count(path?: string): number;
  /** Overrides the behaviour for all requests (a fixed one or a function of the body); `undefined` restores the default. */
  setBehaviour(b: FakeBehaviour | ((body: Record<string, unknown>) => FakeBehaviour) | undefined): void;
  close(): Promise<void>;
}

/**
 * Starts a real `node:http` server on 127.0.0.1 (an ephemeral port) that speaks OpenAI chat completions
 * (`POST /v1/chat/completions`) and the Anthropic Messages API (`POST /v1/messages`) with deterministic
 * answers (see `fake-vendor-protocols.ts`). The behaviour of a request is, in order: the
 * `x-fake-behaviour` header, the `setBehaviour` override, the requested model name when it is one of
 * {@link FAKE_BEHAVIOURS}, else `ok`.
 */
export async function startFakeVendor(options: FakeVendorOptions = {}): Promise<FakeVendor> {
  const requests: RecordedRequest[] = [];
  let override: FakeBehaviour | ((body: Record<string, unknown>) => FakeBehaviour) | undefined;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown>;
      const rawBody = Buffer.concat(chunks).toString('utf8');
      try {
        body = JSON.parse(rawBody || '{}') as Record<string, unknown>;
      } catch {
        return sendJson(res, 400, openaiWire.error('invalid_request_error', 'request body is not JSON'));
      }
      const path = (req.url ?? '/').split('?')[0];
      const header = req.headers['x-fake-behaviour'];
      const behaviour: FakeBehaviour = isBehaviour(header)
        ? header
        : typeof override === 'function'
          ? override(body)
          : (override ?? (isBehaviour(body.model) ? body.model : 'ok'));
      requests.push({ method: req.method ?? '', path, headers: req.headers, body, rawBody, behaviour });
      if (req.method === 'POST' && path === '/v1/embeddings') return sendJson(res, 200, fakeEmbeddings(body));
      const protocol = path === '/v1/messages' ? 'anthropic' : path === '/v1/chat/completions' || path === '/chat/completions' ? 'openai' : undefined;
      if (req.method !== 'POST' || !protocol) return sendJson(res, 404, openaiWire.error('not_found', 'no such route'));
      // No timer without latency: setTimeout(0) adds ~1 ms of timer-granularity jitter to every answer,
      // which swamped the sub-millisecond overheads bench/gateway.ts measures.
      if (options.latencyMs) setTimeout(() => void answer(protocol, behaviour, body, req, res, options), options.latencyMs);
      else void answer(protocol, behaviour, body, req, res, options);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    port,
    requests,
    count: (path) => requests.filter((r) => path === undefined || r.path === path).length,
    setBehaviour: (b) => {
      override = b;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function isBehaviour(v: unknown): v is FakeBehaviour {
  return typeof v === 'string' && (FAKE_BEHAVIOURS as readonly string[]).includes(v);
}

async function answer(
  protocol: 'openai' | 'anthropic',
  behaviour: FakeBehaviour,
  body: Record<string, unknown>,
  req: IncomingMessage,
  res: ServerResponse,
  options: FakeVendorOptions,
): Promise<void> {
  const wire = protocol === 'openai' ? openaiWire : anthropicWire;
  if (options.apiKey !== undefined) {
    const sent = protocol === 'openai' ? req.headers.authorization : req.headers['x-api-key'];
    const expected = protocol === 'openai' ? `Bearer ${options.apiKey}` : options.apiKey;
    if (sent !== expected) return sendJson(res, 401, wire.error('authentication_error', 'invalid api key'));
  }
  const errors: Partial<Record<FakeBehaviour, [number, string]>> = {
    '429': [429, 'rate_limit_error'],
    '500': [500, 'api_error'],
    '529': [529, 'overloaded_error'],
    '400': [400, 'invalid_request_error'],
  };
  const error = errors[behaviour];
  if (error) {
    const headers: Record<string, string> = behaviour === '429' ? { 'retry-after': options.retryAfter ?? '2' } : {};
    return sendJson(res, error[0], wire.error(error[1], `fake ${behaviour}`), headers);
  }
  const model = typeof body.model === 'string' ? body.model : 'fake';
  const a = fakeAnswer(body);
  const usage = behaviour === 'no-usage' ? undefined : wire.usage(a, behaviour === 'cache');
  const calls = fakeToolCalls(body, protocol);
  if (body.stream === true) return streamAnswer(protocol, behaviour, model, a, usage, res, options.chunkDelayMs ?? 0, calls);
  if (behaviour === 'hang') return; // the client's abort closes the socket
  const full = JSON.stringify(
    calls
      ? protocol === 'openai' ? openaiToolCompletion(model, calls, usage) : anthropicToolMessage(model, calls, usage)
      : protocol === 'openai' ? openaiWire.completion(model, a, usage) : anthropicWire.message(model, a, usage),
  );
  if (behaviour === 'malformed') return sendRaw(res, 200, '{"choices": [ not json');
  if (behaviour === 'bad-shape') return sendRaw(res, 200, '{"unexpected": true}');
  if (behaviour === 'early-eof') return sendRaw(res, 200, full.slice(0, full.length >> 1));
  if (behaviour === 'cut-stream') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(full)) });
    res.write(full.slice(0, full.length >> 1), () => res.destroy());
    return;
  }
  sendRaw(res, 200, full);
}

/** Streams the answer as SSE, applying the streaming faults. */
async function streamAnswer(
  protocol: 'openai' | 'anthropic',
  behaviour: FakeBehaviour,
  model: string,
  a: ReturnType<typeof fakeAnswer>,
  usage: ReturnType<typeof openaiWire.usage> | ReturnType<typeof anthropicWire.usage> | undefined,
  res: ServerResponse,
  delayMs: number,
  calls?: ReturnType<typeof fakeToolCalls>,
): Promise<void> {
  const anthropicUsage = usage as ReturnType<typeof anthropicWire.usage> | undefined;
  const events: string[] =
    protocol === 'openai'
      ? (calls ? openaiToolStream(model, calls, usage) : openaiWire.stream(model, a, usage)).map((d) => `data: ${d}\n\n`)
      : (calls ? anthropicToolStream(model, calls, anthropicUsage) : anthropicWire.stream(model, a, anthropicUsage)).map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`);
  const faults: Partial<Record<FakeBehaviour, string>> = {
    malformed: 'data: {not json\n\n',
    'bad-shape': protocol === 'openai' ? 'data: {"choices": "nope"}\n\n' : 'event: content_block_delta\ndata: {"type": "content_block_delta"}\n\n',
    'error-event':
      protocol === 'openai'
        ? `data: ${JSON.stringify(openaiWire.error('server_error', 'fake mid-stream failure'))}\n\n`
        : `event: error\ndata: ${JSON.stringify(anthropicWire.error('overloaded_error', 'Overloaded'))}\n\n`,
  };
  const cutAt = behaviour === 'hang' ? 2 : 3; // after the role/start event and a delta or two
  const fault = faults[behaviour];
  const plan = fault !== undefined ? [...events.slice(0, cutAt), fault, ...events.slice(cutAt)] : events;
  const stopAt = behaviour === 'hang' || behaviour === 'cut-stream' || behaviour === 'early-eof' ? cutAt : plan.length;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const event of plan.slice(0, stopAt)) {
    if (res.destroyed) return;
    await new Promise((r) => res.write(event, r));
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  }
  if (behaviour === 'hang') return;
  if (behaviour === 'cut-stream') res.destroy();
  else res.end();
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  sendRaw(res, status, JSON.stringify(body), headers);
}

function sendRaw(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
