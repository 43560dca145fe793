import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendFailure } from './chat-route.js';
import { fail } from './http-errors.js';
import { BATCH_ENDPOINT } from './client-batch-lines.js';
import type { ClientBatchRunner } from './client-batch-runner.js';
import { listPage } from './client-batch-store.js';
import { invalid, listQuerySchema, notFound } from './files-route.js';
import { tagsOf } from './route-request.js';

const KEY = { auth: 'key' as const };

/** Completion windows a batch may ask for (OpenAI's one), in ms. */
const WINDOWS: Record<string, number> = { '24h': 24 * 3_600_000 };

/**
 * The `POST /v1/batches` body. Carried: `input_file_id` (a `purpose: "batch"` file of the caller's),
 * `endpoint` (`/v1/chat/completions`), `completion_window` (`24h`), `metadata` (up to 16 string pairs,
 * returned as sent). Refused with a 400 naming the field: any other endpoint or window,
 * `output_expires_after` (output files are kept until deleted) and any other field.
 */
export const batchCreateSchema = z.strictObject({
  input_file_id: z.string().min(1).max(200),
  endpoint: z.literal(BATCH_ENDPOINT, { error: `only ${BATCH_ENDPOINT} is carried in a batch` }),
  completion_window: z.string().refine((w) => w in WINDOWS, { message: 'must be "24h"' }),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, { message: 'at most 16 keys' })
    .nullish(),
});

type IdParams = { Params: { batch_id: string } };

/**
 * OpenAI's Batches API (registered in the client-batches scope, ./client-batch-routes.ts):
 * `POST /v1/batches`, `GET /v1/batches/:id`, `POST /v1/batches/:id/cancel`, `GET /v1/batches` (`limit`, `after`).
 * The lines run through the engine as the caller's tenant (./client-batch-runner.ts); the batch's tags
 * come from the `x-tollgate-tags` header of the create call. Another tenant's batch is a 404.
 */
export function registerBatchesRoutes(app: FastifyInstance, runner: ClientBatchRunner): void {
  const store = runner.store;

  app.post('/v1/batches', { config: KEY }, async (req, reply) => {
    const parsed = batchCreateSchema.safeParse(req.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error.issues);
    const b = parsed.data;
    const file = store.file(req.tenant!, b.input_file_id);
    if (!file) return notFound(reply, 'file', b.input_file_id, 'input_file_id');
    if (file.purpose !== 'batch') return sendFailure(reply, fail(400, 'invalid_request_error', 'invalid_request', `File ${file.id} has purpose "${file.purpose}"; a batch's input needs purpose "batch"`, 'input_file_id'));
    const tags = tagsOf(req);
    const entry = store.createBatch(req.tenant!, {
      endpoint: b.endpoint, inputFileId: file.id, completionWindow: b.completion_window, completionWindowMs: WINDOWS[b.completion_window]!, metadata: b.metadata ?? null, tags,
    });
    runner.start(entry);
    return entry.batch;
  });

  app.get<IdParams>('/v1/batches/:batch_id', { config: KEY }, async (req, reply) => runner.batch(req.tenant!, req.params.batch_id) ?? notFound(reply, 'batch', req.params.batch_id));

  app.post<IdParams>('/v1/batches/:batch_id/cancel', { config: KEY }, async (req, reply) => runner.cancel(req.tenant!, req.params.batch_id) ?? notFound(reply, 'batch', req.params.batch_id));

  app.get('/v1/batches', { config: KEY }, async (req, reply) => {
    const q = listQuerySchema.safeParse(req.query);
    if (!q.success) return invalid(reply, q.error.issues);
    return listPage(store.batches(req.tenant!).map((b) => runner.batch(req.tenant!, b.id) ?? b), q.data);
  });
}
