import type { FastifyError, FastifyInstance } from 'fastify';
import type { Tollgate } from '../index.js';
import { registerBatchesRoutes } from './batches-route.js';
import { sendFailure } from './chat-route.js';
import { ClientBatchRunner, DEFAULT_BATCH_CONCURRENCY } from './client-batch-runner.js';
import { ClientBatchStore } from './client-batch-store.js';
import { DEFAULT_FILES_LIMIT, registerFilesRoutes } from './files-route.js';
import { fail } from './http-errors.js';

/** Options of the gateway's client batches (`/v1/files`, `/v1/batches`). */
export interface ClientBatchOptions {
  /** Where files and batch state live (`tollgate serve`: next to the decision log); without one, in memory (lost on restart). */
  dir?: string;
  /** Largest `POST /v1/files` upload in bytes (default 64 MiB); larger → 413 naming it. */
  filesLimit?: number;
  /** Lines run at once over all batches (default 4). */
  concurrency?: number;
  /** Clock (epoch ms) for timestamps and the completion window; default `Date.now`. */
  now?: () => number;
  /** How a rate-limited line waits for its Retry-After (tests give one that moves their engine clock); default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Send plain-chat lines to the vendors' batch APIs at their batch price (`deferrable`, within what is left
   * of the completion window) instead of running them now; needs a Tollgate composed with `deferred`
   * (`createTollgate({ deferred })`). Lines with tools, images, formats or `n`, and models without a batch
   * API, are run now / refused as the engine's deferrable path says. Default off.
   */
  defer?: boolean;
}

/**
 * Registers the client-batch routes in their own fastify scope (the multipart parser and the upload
 * limit's 413 stay inside it), resumes unfinished batches when the gateway is ready and, on close, lets
 * the lines in flight finish before the engine closes.
 */
export function registerClientBatches(app: FastifyInstance, tollgate: Tollgate, o: ClientBatchOptions = {}): void {
  const filesLimit = o.filesLimit ?? DEFAULT_FILES_LIMIT;
  void app.register(async (scope) => {
    const runner = new ClientBatchRunner(tollgate, new ClientBatchStore(o.dir, o.now), { concurrency: o.concurrency ?? DEFAULT_BATCH_CONCURRENCY, sleep: o.sleep, defer: o.defer });
    // Only the upload limit's 413 is this scope's own; everything else goes to the gateway's handler (server.ts).
    scope.setErrorHandler((err: FastifyError, req, reply) => {
      if (err.statusCode === 413 && req.routeOptions.url === '/v1/files') return sendFailure(reply, fail(413, 'invalid_request_error', 'request_too_large', `Upload larger than the files limit of ${filesLimit} bytes (tollgate serve --files-limit)`, 'file'));
      throw err;
    });
    registerFilesRoutes(scope, runner.store, filesLimit);
    registerBatchesRoutes(scope, runner);
    scope.addHook('onReady', async () => runner.resume());
    scope.addHook('onClose', async () => runner.stop());
  });
}
