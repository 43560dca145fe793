import type { FastifyRequest } from 'fastify';
import type { FieldIssue, TollgateRequest } from '../index.js';
import { METADATA_KEY_ID } from '../index.js';

/**
 * What every engine-bound route takes from the HTTP request besides its body, in one place so the
 * Chat Completions, Messages and Embeddings faces cannot drift apart.
 */

/** Tags from `x-tollgate-tags: a,b` (optional; they feed rules and per-tag budgets). */
export function tagsOf(req: FastifyRequest): string[] | undefined {
  const h = req.headers['x-tollgate-tags'];
  if (typeof h !== 'string') return undefined;
  return h.split(',').map((t) => t.trim()).filter(Boolean);
}

/**
 * Marks a completion request with what the gateway knows about its caller: a gateway-made request id is
 * no idempotency key (only a client's `x-request-id` is), and the API key's id goes into the metadata so
 * loop detection counts each key on its own (engine/loop-detector.ts).
 */
export function withCaller<T extends TollgateRequest>(request: T, req: FastifyRequest): T {
  if (!req.clientRequestId) request.idempotencyKey = false;
  if (req.apiKeyId) request.metadata = { ...request.metadata, [METADATA_KEY_ID]: req.apiKeyId };
  return request;
}

/** The 400 message for a body that failed validation: every failing field path with its reason. */
export function invalidBodyMessage(issues: readonly FieldIssue[]): string {
  return `Invalid request body: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`;
}
