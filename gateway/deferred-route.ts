import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CompletionResult, DeferredHandle, Tollgate, TollgateRequest } from '../index.js';
import { DEFER_WITHIN, TollgateError } from '../index.js';
import { fail, httpFailure, type HttpFailure, sendFailure as send } from './http-errors.js';
import { completionBody } from './openai-shapes.js';

/**
 * Deferrable work on the gateway (docs/gateway.md, "Deferrable requests"): `POST /v1/chat/completions` with
 * `Tollgate-Deferrable: 24h` (or one a policy rule with `action: defer` matches) answers `202 Accepted` with
 * the request id and where to fetch the answer; `GET /v1/tollgate/deferred/{id}` answers `202` while it
 * waits in a vendor batch, then `200` with the chat completion at the batch price (or its error).
 */

/** The request header that marks a chat completion deferrable; its value is how long it may wait (`30m`, `24h`, `2d`). */
export const HEADER_DEFERRABLE = 'tollgate-deferrable';

/** A failure as HTTP; `batch_unsupported` (no batch API for the model) is the client's request, 400. */
function failure(err: unknown): HttpFailure {
  if (err instanceof TollgateError && err.code === 'batch_unsupported') return fail(400, 'invalid_request_error', 'batch_unsupported', err.message, 'model');
  return httpFailure(err);
}

/** Where a deferred request's answer is fetched. */
export const deferredUrl = (id: string): string => `/v1/tollgate/deferred/${encodeURIComponent(id)}`;

function pendingBody(h: DeferredHandle) {
  return { id: h.id, object: 'tollgate.deferred', status: 'pending', model: h.model, result_url: deferredUrl(h.id) };
}

/**
 * The non-streaming chat completion when it may be deferred: the header's `within` on the request, then
 * `tollgate.submit()` — a handle is `202` (with `Location`), a result run now goes to `sendResult` (the
 * ordinary `200`). A bad header value, or the header on a streaming request, is a 400 naming the header.
 */
export async function deferrableChat(
  tollgate: Tollgate,
  track: <T>(p: Promise<T>) => Promise<T>,
  req: FastifyRequest,
  reply: FastifyReply,
  request: TollgateRequest,
  o: { signal: AbortSignal; stream: boolean; sendResult: (r: CompletionResult) => unknown },
): Promise<unknown> {
  const header = req.headers[HEADER_DEFERRABLE];
  if (header !== undefined) {
    if (typeof header !== 'string' || !DEFER_WITHIN.test(header.trim())) {
      return send(reply, fail(400, 'invalid_request_error', 'invalid_request', 'Invalid Tollgate-Deferrable header: give how long the request may wait, e.g. 30m, 24h or 2d', HEADER_DEFERRABLE));
    }
    if (o.stream) return send(reply, fail(400, 'invalid_request_error', 'invalid_request', 'A deferrable request cannot stream: drop "stream" or the Tollgate-Deferrable header', 'stream'));
    request.deferrable = { within: header.trim() };
  }
  let out: CompletionResult | DeferredHandle;
  try {
    out = await track(tollgate.submit(request, { signal: o.signal }));
  } catch (err) {
    return send(reply, failure(err));
  }
  if (!('status' in out)) return o.sendResult(out);
  return reply.code(202).header('location', deferredUrl(out.id)).send(pendingBody(out));
}

/**
 * `GET /v1/tollgate/deferred/{id}` (the tenant's key): `202` + `status: pending` while the request waits,
 * `200` + `status: completed` and `response` (the chat completion, `usage` and cost at the batch price) once
 * settled, or `200` + `status: failed` and the OpenAI-shaped `error` (expired, failed line: its budget was
 * refunded). `404` for an id this gateway never deferred, or another tenant's.
 */
export function deferredResultHandler(tollgate: Tollgate) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const id = (req.params as { id: string }).id;
    const h = tollgate.deferred(id);
    if (!h || h.tenant !== req.tenant) return send(reply, fail(404, 'invalid_request_error', 'not_found', `No deferred request ${id.slice(0, 200)}`, 'id'));
    if (h.status() === 'pending') return reply.code(202).send(pendingBody(h));
    try {
      const r = await h.result();
      return reply.code(200).send({ id, object: 'tollgate.deferred', status: 'completed', model: r.model, cost_micros: r.cost.full, response: completionBody(r, Math.floor(Date.parse(r.record.time) / 1000)) });
    } catch (err) {
      return reply.code(200).send({ id, object: 'tollgate.deferred', status: 'failed', model: h.model, error: failure(err).body.error });
    }
  };
}
