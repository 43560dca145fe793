import { join } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { packageRoot } from '../../index.js';
import { TollgateError } from '../../index.js';
import { redactSecrets } from '../../index.js';
import type { Policy } from '../../index.js';
import type { PlaygroundContext } from './context.js';
import { PlaygroundHttpError, type ErrorBody } from './errors.js';
import { type LogViews, readLogViews } from './log-views.js';
import { registerBatchTradeoffRoutes } from './routes/batch-tradeoff.js';
import { registerExplainRoutes } from './routes/explain.js';
import { registerPolicyRoutes } from './routes/policies.js';
import { registerSimulateRoutes } from './routes/simulate.js';
import { registerTraceRoutes } from './routes/traces.js';
import { RunRegistry } from './runs.js';
import { distReady, registerStaticFiles } from './static-files.js';
import { TraceStore } from './trace-store.js';

export interface PlaygroundOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 5178; 0 picks a free port. */
  port?: number;
  /** The built page; default `<package>/playground/dist`. */
  distDir?: string;
  /** An existing decision log to show in the executive, on-call and debug views. */
  logFile?: string;
  /** Views already read (e.g. from the PostgreSQL decision store, `readLogViewsFromStore`); wins over `logFile`. */
  logViews?: LogViews;
  /** Tenants (budgets) for the log's burn rates. */
  logTenants?: Policy['tenants'];
  /** Largest JSON body outside uploads (bytes). Default 1 MiB. */
  bodyLimit?: number;
  /** Largest uploaded trace (bytes). Default 32 MiB. */
  uploadLimit?: number;
}

export interface PlaygroundServer {
  url: string;
  app: FastifyInstance;
  /** False when `playground/dist` is missing (the API works; `/` says to run npm run build:playground). */
  pageBuilt: boolean;
  close(): Promise<void>;
}

export const DEFAULT_PLAYGROUND_PORT = 5178;
export const defaultDistDir = (): string => join(packageRoot(), 'playground', 'dist');

/** Starts the playground: the built page plus its JSON API, on 127.0.0.1 by default. */
export async function startPlayground(o: PlaygroundOptions = {}): Promise<PlaygroundServer> {
  const distDir = o.distDir ?? defaultDistDir();
  const traces = new TraceStore();
  await traces.init();
  const ctx: PlaygroundContext = {
    traces,
    runs: new RunRegistry(),
    uploadLimit: o.uploadLimit ?? 32 * 1024 * 1024,
    log: o.logViews ?? (o.logFile ? await readLogViews(o.logFile, o.logTenants) : undefined),
  };
  const app = Fastify({ logger: false, bodyLimit: o.bodyLimit ?? 1024 * 1024, forceCloseConnections: true });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, body } = errorAnswer(err);
    if (status >= 500) req.log.error(err);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));
  app.get('/api/health', async () => ({ ok: true, pageBuilt: distReady(distDir), runs: ctx.runs.size }));
  registerPolicyRoutes(app);
  registerTraceRoutes(app, ctx);
  registerSimulateRoutes(app, ctx);
  registerExplainRoutes(app, ctx);
  registerBatchTradeoffRoutes(app, ctx);
  registerStaticFiles(app, distDir);
  const address = await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? DEFAULT_PLAYGROUND_PORT });
  const url = `${address.replace('[::1]', 'localhost')}/`;
  return {
    url,
    app,
    pageBuilt: distReady(distDir),
    close: async () => {
      ctx.runs.cancelAll();
      await app.close();
      await traces.close();
    },
  };
}

/** Maps any thrown error to a status and `{ error, message, issues? }`; internals become a plain 500. */
function errorAnswer(err: FastifyError): { status: number; body: ErrorBody } {
  if (err instanceof PlaygroundHttpError) return { status: err.status, body: { error: err.code, message: redactSecrets(err.message), ...(err.issues ? { issues: err.issues } : {}) } };
  if (err instanceof TollgateError) return { status: 400, body: { error: err.code, message: redactSecrets(err.message) } };
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status === 413) return { status, body: { error: 'body_too_large', message: 'request body too large' } };
  if (status === 415) return { status, body: { error: 'unsupported_media_type', message: 'send application/json' } };
  if (status < 500) return { status, body: { error: err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? 'malformed_json' : 'bad_request', message: err.message } };
  return { status: 500, body: { error: 'internal_error', message: 'internal error' } };
}
