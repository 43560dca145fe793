import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { toFieldIssues } from '../index.js';
import { sendFailure } from './chat-route.js';
import { fail } from './http-errors.js';
import { FINAL_BATCH_STATUSES } from './client-batch-machine.js';
import { BatchFileFormatError, checkJsonl, namedIssues } from './client-batch-lines.js';
import { MultipartError, parseMultipart } from './client-batch-multipart.js';
import { type ClientBatchStore, listPage } from './client-batch-store.js';

/** Largest `POST /v1/files` upload in bytes by default (larger → 413 naming the limit). */
export const DEFAULT_FILES_LIMIT = 64 * 1024 * 1024;

const KEY = { auth: 'key' as const };

/** `limit` (1–100, default 20) and `after` of a list route; anything else is refused. */
export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(200).optional(),
});

/** A 400 naming the first failing field of a zod parse (the message lists them all). */
export function invalid(reply: FastifyReply, issues: z.core.$ZodIssue[], prefix = ''): FastifyReply {
  const fields = toFieldIssues(namedIssues(issues));
  const msg = `Invalid request: ${fields.map((i) => `${prefix}${i.path || '(root)'}: ${i.message}`).join('; ')}`;
  return sendFailure(reply, fail(400, 'invalid_request_error', 'invalid_request', msg, fields[0]?.path ? prefix + fields[0].path : null));
}

export const notFound = (reply: FastifyReply, what: string, id: string, param: string | null = null): FastifyReply =>
  sendFailure(reply, fail(404, 'invalid_request_error', 'not_found', `No such ${what}: ${id.slice(0, 200)}`, param));

type IdParams = { Params: { file_id: string } };

/**
 * OpenAI's Files API for batch input (registered in the client-batches scope, ./client-batch-routes.ts):
 * - `POST /v1/files` — multipart `file` + `purpose: "batch"`; the file must be JSONL (else 400 naming the
 *   line); larger than `filesLimit` → 413 naming the limit; any other form field → 400 naming it
 * - `GET /v1/files` (`purpose`, `limit`, `after`), `GET /v1/files/:id`, `GET /v1/files/:id/content`, `DELETE /v1/files/:id`
 * A tenant sees only its own files (another tenant's id is a 404). Batch output and error files are
 * `purpose: "batch_output"` files of the batch's tenant.
 */
export function registerFilesRoutes(app: FastifyInstance, store: ClientBatchStore, filesLimit: number): void {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: filesLimit }, (_req, body, done) => done(null, body));

  app.post('/v1/files', { config: KEY, bodyLimit: filesLimit }, async (req: FastifyRequest, reply) => {
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(type) || !Buffer.isBuffer(req.body)) return sendFailure(reply, fail(415, 'invalid_request_error', 'unsupported_media_type', 'Upload files as multipart/form-data (fields: file, purpose)'));
    let parts;
    try {
      parts = parseMultipart(type, req.body);
    } catch (err) {
      if (err instanceof MultipartError) return sendFailure(reply, fail(400, 'invalid_request_error', err.code, err.message));
      throw err;
    }
    for (const p of parts) {
      if (p.name !== 'file' && p.name !== 'purpose') return sendFailure(reply, fail(400, 'invalid_request_error', 'invalid_request', `Form field "${p.name.slice(0, 80)}" is not carried by the gateway (fields: file, purpose)`, p.name.slice(0, 80)));
    }
    const purpose = parts.find((p) => p.name === 'purpose')?.data.toString('utf8');
    if (purpose !== 'batch') return sendFailure(reply, fail(400, 'invalid_request_error', 'invalid_request', `purpose must be "batch" (the gateway stores batch input only), got ${purpose === undefined ? 'none' : JSON.stringify(purpose.slice(0, 40))}`, 'purpose'));
    const file = parts.find((p) => p.name === 'file');
    if (!file || file.filename === undefined) return sendFailure(reply, fail(400, 'invalid_request_error', 'invalid_request', 'file is required (a multipart file part)', 'file'));
    try {
      checkJsonl(file.data);
    } catch (err) {
      if (err instanceof BatchFileFormatError) return sendFailure(reply, fail(400, 'invalid_request_error', err.code, `The file is not JSONL: ${err.message}`, 'file'));
      throw err;
    }
    return store.addFile(req.tenant!, (file.filename || 'input.jsonl').slice(0, 255), 'batch', file.data);
  });

  app.get('/v1/files', { config: KEY }, async (req, reply) => {
    const q = listQuerySchema.extend({ purpose: z.enum(['batch', 'batch_output']).optional(), order: z.enum(['asc', 'desc']).default('desc') }).safeParse(req.query);
    if (!q.success) return invalid(reply, q.error.issues);
    let files = store.files(req.tenant!);
    if (q.data.purpose) files = files.filter((f) => f.purpose === q.data.purpose);
    if (q.data.order === 'asc') files.reverse();
    return listPage(files, q.data);
  });

  app.get<IdParams>('/v1/files/:file_id', { config: KEY }, async (req, reply) => store.file(req.tenant!, req.params.file_id) ?? notFound(reply, 'file', req.params.file_id));

  app.get<IdParams>('/v1/files/:file_id/content', { config: KEY }, async (req, reply) => {
    const data = store.fileContent(req.tenant!, req.params.file_id);
    if (!data) return notFound(reply, 'file', req.params.file_id);
    return reply.type('application/jsonl').send(data);
  });

  app.delete<IdParams>('/v1/files/:file_id', { config: KEY }, async (req, reply) => {
    const id = req.params.file_id;
    if (!store.file(req.tenant!, id)) return notFound(reply, 'file', id);
    const user = store.allBatches().find((e) => e.tenant === req.tenant && e.batch.input_file_id === id && !FINAL_BATCH_STATUSES.includes(e.batch.status));
    if (user) return sendFailure(reply, fail(409, 'invalid_request_error', 'file_in_use', `File ${id} is the input of batch ${user.batch.id}, which is ${user.batch.status}; cancel it or wait for it to end`));
    store.deleteFile(req.tenant!, id);
    return { id, object: 'file', deleted: true };
  });
}
