import { randomUUID } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { countTokens, type Tollgate } from '../index.js';
import { hashKey, presentedKey } from './api-keys.js';
import { chatHandler, HEADER_REQUEST_ID, Inflight, sendFailure } from './chat-route.js';
import { messagesHandler } from './messages-route.js';
import { embeddingsHandler } from './embeddings-route.js';
import { deferredResultHandler } from './deferred-route.js';
import { clientErrorHandler, fail } from './http-errors.js';
import { useFastJsonBodies } from './json-body.js';
import { AUTO_MODEL } from './openai-shapes.js';
import { type ClientBatchOptions, registerClientBatches } from './client-batch-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the API key belongs to (set by the auth hook on routes with `auth: 'key'` or `'admin'`). */
    tenant?: string;
    /** The client's `x-request-id` when acceptable, else a fresh UUID; becomes the decision's request id. */
    tollgateRequestId: string;
    /** The client's own `x-request-id` when it sent an acceptable one: the request's idempotency key. */
    clientRequestId?: string;
    /** A short id of the presented API key (first 12 hex digits of its SHA-256), for per-key accounting such as loop detection. */
    apiKeyId?: string;
  }
}

/**
 * Who may call a route, declared by every route as `config: { auth }`: `key` (a tenant's API key),
 * `admin` (a key that `isAdminKey` accepts) or `none` (public). Checked on the matched route.
 */
export interface RouteAuthConfig {
  auth: 'key' | 'admin' | 'none';
}
const KEY: RouteAuthConfig = { auth: 'key' };
const PUBLIC: RouteAuthConfig = { auth: 'none' };
const ADMIN: RouteAuthConfig = { auth: 'admin' };

/** Something that renders Prometheus text: a prom-client `Registry` fits. */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string> | string;
}

export interface GatewayOptions {
  tollgate: Tollgate;
  /** Resolves a presented API key to its tenant (e.g. `KeyStore.tenantFor`); `undefined` means unknown. */
  tenantForKey: (key: string) => string | undefined;
  /** Whether a (valid) key may call `auth: 'admin'` routes (e.g. `KeyStore.isAdmin`); without it no key can. */
  isAdminKey?: (key: string) => boolean;
  /** Largest accepted request body in bytes (default 1 MiB); larger → 413. */
  bodyLimit?: number;
  /** Served at `GET /metrics`; without one, `/metrics` answers 404. */
  metrics?: MetricsSource;
  /** Fastify's request logger (off by default). It never logs headers, so keys stay out of logs. */
  logger?: boolean;
  /** On close, how long in-flight requests may take before their connections are cut (default 10 s). */
  closeGraceMs?: number;
  /** Client batches (`/v1/files`, `/v1/batches`): storage directory, upload limit, concurrency (./client-batch-routes.ts). */
  batches?: ClientBatchOptions;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the OpenAI-compatible gateway (fastify 5):
 * - `POST /v1/chat/completions` — streaming (SSE chunks, final usage chunk with `stream_options.include_usage`) and not
 * - `GET /v1/models` — the policy's models plus the virtual `auto` model (let Tollgate route)
 * - `GET /healthz` — liveness and the policy version; `GET /metrics` — Prometheus text
 * - `GET /v1/tollgate/state` (admin key) — each model's circuit breaker and each tenant's guard state
 * Each route declares its auth (`config.auth`, {@link RouteAuthConfig}); `key` routes need `Authorization: Bearer <key>`
 * or `x-api-key: <key>`, checked on the matched route before the body is read (401 for a missing or unknown key).
 * Every error is OpenAI-shaped: `{ error: { message, type, param, code } }`.
 */
export function buildGateway(o: GatewayOptions, inflight: Inflight = new Inflight()): FastifyInstance {
  const app = Fastify({ logger: o.logger ?? false, bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT, clientErrorHandler });
  app.removeContentTypeParser('text/plain'); // JSON only: a text/plain body is 415, as documented
  useFastJsonBodies(app);
  app.decorateRequest('tenant', undefined);
  app.decorateRequest('tollgateRequestId', '');
  app.decorateRequest('clientRequestId', undefined);
  app.decorateRequest('apiKeyId', undefined);

  // Every route declares who may call it (`config.auth`); a route without one is a startup error, not an open door.
  app.addHook('onRoute', (route) => {
    const auth = (route.config as unknown as Partial<RouteAuthConfig> | undefined)?.auth;
    if (auth !== 'key' && auth !== 'admin' && auth !== 'none') throw new Error(`gateway route ${String(route.method)} ${route.url} declares no config.auth ('key' | 'admin' | 'none')`);
  });
  // Authentication runs on the route fastify matched (after it decoded and normalised the path), never on the
  // raw URL: `/v%31/models` is `/v1/models` and needs the same key. Unknown routes reach the 404 handler.
  // A callback hook, not an async one: no promise per request (a request answered here never calls `done`).
  app.addHook('onRequest', (req, reply, done) => {
    const given = req.headers['x-request-id'];
    const clientId = typeof given === 'string' && REQUEST_ID.test(given) ? given : undefined;
    req.tollgateRequestId = clientId ?? randomUUID();
    req.clientRequestId = clientId;
    reply.header(HEADER_REQUEST_ID, req.tollgateRequestId);
    const route = req.routeOptions; // a getter that builds an object: read once
    const auth = (route.config as unknown as Partial<RouteAuthConfig> | undefined)?.auth;
    if (auth === 'none' || route.url === undefined) return done(); // public, or no route (404)
    const key = presentedKey(req.headers);
    if (key === undefined) return void sendFailure(reply, fail(401, 'invalid_request_error', 'missing_api_key', 'Missing API key: send "Authorization: Bearer <key>" or "x-api-key: <key>".'));
    const tenant = o.tenantForKey(key);
    if (tenant === undefined) return void sendFailure(reply, fail(401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.'));
    if (auth === 'admin' && !o.isAdminKey?.(key)) return void sendFailure(reply, fail(403, 'invalid_request_error', 'admin_key_required', 'This route needs an admin key.'));
    req.tenant = tenant;
    req.apiKeyId = hashKey(key).slice(0, 12);
    done();
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status === 413) return sendFailure(reply, fail(413, 'invalid_request_error', 'request_too_large', `Request body larger than ${o.bodyLimit ?? DEFAULT_BODY_LIMIT} bytes`));
    if (status === 415) return sendFailure(reply, fail(415, 'invalid_request_error', 'unsupported_media_type', 'Send the body as application/json'));
    if (status < 500) return sendFailure(reply, fail(status, 'invalid_request_error', 'invalid_request', `Invalid request: ${err.message}`));
    return sendFailure(reply, fail(500, 'server_error', 'internal_error', 'internal error'));
  });
  app.setNotFoundHandler((req, reply) =>
    sendFailure(reply, fail(404, 'invalid_request_error', 'not_found', `No route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}`)),
  );

  app.post('/v1/chat/completions', { config: KEY }, chatHandler(o.tollgate, inflight));
  app.post('/v1/messages', { config: KEY }, messagesHandler(o.tollgate, inflight));
  app.post('/v1/embeddings', { config: KEY }, embeddingsHandler(o.tollgate, inflight));
  registerClientBatches(app, o.tollgate, o.batches); // /v1/files, /v1/batches
  app.get('/v1/models', { config: KEY }, async () => ({
    object: 'list',
    data: [
      { id: AUTO_MODEL, object: 'model', created: 0, owned_by: 'tollgate' },
      ...o.tollgate.policy.models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: `tollgate:${m.tier}` })),
    ],
  }));
  app.get('/v1/tollgate/deferred/:id', { config: KEY }, deferredResultHandler(o.tollgate));
  app.get('/v1/tollgate/state', { config: ADMIN }, async () => ({ object: 'tollgate.state', ...o.tollgate.inspect() }));
  app.get('/healthz', { config: PUBLIC }, async () => ({ status: 'ok', policy: o.tollgate.policy.name, version: o.tollgate.policy.version }));
  app.get('/metrics', { config: PUBLIC }, async (_req, reply) => {
    if (!o.metrics) return sendFailure(reply, fail(404, 'invalid_request_error', 'not_found', 'No metrics registry configured'));
    return reply.type(o.metrics.contentType).send(await o.metrics.metrics());
  });
  return app;
}

export interface RunningGateway {
  app: FastifyInstance;
  url: string;
  port: number;
  /** Stops accepting requests, waits for in-flight ones, then closes the engine (flushing the log). */
  close(): Promise<void>;
}

/**
 * Builds and starts the gateway on `host:port` (port 0: an ephemeral port). `close()` stops accepting
 * requests, cuts connections with no request in flight at once (keep-alive or never used), lets
 * in-flight requests finish for up to `closeGraceMs`, waits for their engine work (so their records are
 * logged), then closes the engine and its decision log.
 */
export async function startGateway(o: GatewayOptions & { host?: string; port?: number }): Promise<RunningGateway> {
  const inflight = new Inflight();
  const app = buildGateway(o, inflight);
  const active = new Map<Socket, number>();
  let shuttingDown = false;
  app.server.on('connection', (s: Socket) => {
    active.set(s, 0);
    s.once('close', () => active.delete(s));
  });
  app.server.on('request', (req, res) => {
    const s = req.socket;
    active.set(s, (active.get(s) ?? 0) + 1);
    res.once('close', () => {
      if (!active.has(s)) return;
      const left = active.get(s)! - 1;
      active.set(s, left);
      if (shuttingDown && left === 0) s.end(); // a keep-alive connection must not hold the shutdown
    });
  });
  // Load the policy's tokenizers now (their ranks take a moment to read): the first request must not wait on them.
  for (const e of o.tollgate.policy.encodings) countTokens('warm up', e);
  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
  const { port, address, family } = app.server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  return {
    app,
    url: `http://${host}:${port}`,
    port,
    close: () =>
      (closing ??= (async () => {
        shuttingDown = true;
        const closed = app.close();
        for (const [s, n] of active) if (n === 0) s.destroy();
        const cut = setTimeout(() => app.server.closeAllConnections(), o.closeGraceMs ?? 10_000);
        try {
          await closed;
        } finally {
          clearTimeout(cut);
        }
        await inflight.idle();
        await o.tollgate.close();
      })()),
  };
}
