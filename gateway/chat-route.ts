import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Tollgate, CompletionResult, StreamChunk } from '../index.js';
import { deepIssues, toFieldIssues } from '../index.js';
import { fail, httpFailure, type HttpFailure, sendFailure } from './http-errors.js';
import { addResultTrailers, openSse, writeSse } from './sse-response.js';
import { deferrableChat, HEADER_DEFERRABLE } from './deferred-route.js';
import {
  chatBodySchema, messageIssues, chunkEvent, completionBody, completionId, deltaEvents, DONE_EVENT, errorBody, finishReasonOf, toTollgateRequest, usageEvent, wireToolCalls,
} from './openai-shapes.js';
import { chatBodyFastOk } from './chat-body-check.js';
import { clientAbortSignal } from './client-abort.js';
import { invalidBodyMessage, tagsOf, withCaller } from './route-request.js';

export const HEADER_REQUEST_ID = 'x-tollgate-request-id';
export const HEADER_MODEL = 'x-tollgate-model';
export const HEADER_COST = 'x-tollgate-cost-micros';
/** Set on an answer replayed for a reused `x-request-id` (same body): no model was called and nothing charged again. */
export const HEADER_REPLAYED = 'x-tollgate-idempotent-replay';

/** Headers describing a settled request: the model that answered, its full cost (µ$) and its request id. */
export function resultHeaders(r: CompletionResult): Record<string, string> {
  const h: Record<string, string> = { [HEADER_MODEL]: r.model, [HEADER_COST]: String(r.cost.full), [HEADER_REQUEST_ID]: r.id };
  if (r.replayed) {
    h[HEADER_REPLAYED] = 'true';
    h[HEADER_COST] = '0'; // charged once, on the first answer
  }
  return h;
}

export { sendFailure };

/** The engine work a gateway has in flight, so closing can wait for it (and for its log records). */
export class Inflight {
  private readonly set = new Set<Promise<unknown>>();

  track<T>(p: Promise<T>): Promise<T> {
    this.set.add(p);
    const done = () => this.set.delete(p);
    p.then(done, done);
    return p;
  }

  /** Resolves when everything tracked has settled. */
  async idle(): Promise<void> {
    while (this.set.size) await Promise.allSettled([...this.set]);
  }
}

/**
 * `POST /v1/chat/completions`. Validates the body (400 with every failing field path), runs the request
 * through the engine for the key's tenant, and answers only after `complete()` resolved — which is after
 * the decision record was durably appended — so every answered request is in the decision log.
 * Streaming answers start once the first delta exists; an engine failure before that is an ordinary
 * HTTP error, a failure after it ends the stream with an OpenAI-shaped `{error}` event and no `[DONE]`.
 */
export function chatHandler(tollgate: Tollgate, inflight: Inflight) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const id = req.tollgateRequestId;
    const parsed = chatBodyFastOk(req.body) ? { success: true as const, data: req.body } : chatBodySchema.safeParse(req.body);
    if (!parsed.success) {
      const all = parsed.error.issues;
      const head = all.filter((i) => i.path[0] === 'model' || i.path[0] === 'messages');
      const issues = toFieldIssues(deepIssues([...head, ...messageIssues(req.body), ...all.filter((i) => !head.includes(i))]));
      return sendFailure(reply, fail(400, 'invalid_request_error', 'invalid_request', invalidBodyMessage(issues), issues[0]?.path || null));
    }
    const body = parsed.data;
    const request = withCaller(toTollgateRequest(body, req.tenant!, id, tagsOf(req)), req);
    const deferrable = req.headers[HEADER_DEFERRABLE] !== undefined || (tollgate.hasDeferRules && !body.stream); // docs/gateway.md, "Deferrable requests"
    const signal = clientAbortSignal(reply, !deferrable);
    if (deferrable) {
      const sendResult = (r: CompletionResult) => reply.code(200).headers(resultHeaders(r)).send(completionBody(r, Math.floor(Date.now() / 1000)));
      return deferrableChat(tollgate, (p) => inflight.track(p), req, reply, request, { signal, stream: !!body.stream, sendResult });
    }
    if (!body.stream) {
      let result: CompletionResult;
      try {
        result = await inflight.track(tollgate.complete(request, { signal }));
      } catch (err) {
        return sendFailure(reply, httpFailure(err));
      }
      return reply.code(200).headers(resultHeaders(result)).send(completionBody(result, Math.floor(Date.now() / 1000)));
    }
    const it = tollgate.stream(request, { signal })[Symbol.asyncIterator]();
    let first: IteratorResult<StreamChunk>;
    try {
      first = await inflight.track(it.next());
    } catch (err) {
      return sendFailure(reply, httpFailure(err));
    }
    reply.hijack();
    await inflight.track(streamSse(reply.raw, it, first, { id: completionId(id), requestId: id, model: body.model, usage: !!body.stream_options?.include_usage }));
    return undefined;
  };
}

async function streamSse(
  res: ServerResponse,
  it: AsyncIterator<StreamChunk>,
  first: IteratorResult<StreamChunk>,
  o: { id: string; requestId: string; model: string; usage: boolean },
): Promise<void> {
  const created = Math.floor(Date.now() / 1000);
  const delta = deltaEvents(o.id, created, o.model);
  openSse(res, o.requestId);
  await writeSse(res, delta({ role: 'assistant', content: '' }));
  let step = first;
  try {
    for (;;) {
      if (step.done) break;
      const c = step.value;
      if (c.type === 'delta') {
        if (c.toolCalls?.length) await writeSse(res, delta({ ...(c.text && { content: c.text }), tool_calls: wireToolCalls(c.toolCalls) }));
        else if (c.text) await writeSse(res, delta({ content: c.text }));
      } else {
        const r = c.result;
        await writeSse(res, chunkEvent(o.id, created, r.model, {}, finishReasonOf(r.finishReason)));
        if (o.usage) await writeSse(res, usageEvent(o.id, created, r));
        await writeSse(res, DONE_EVENT);
        addResultTrailers(res, r);
        break;
      }
      step = await it.next();
    }
  } catch (err) {
    const f = httpFailure(err);
    if (!res.destroyed) await writeSse(res, `data: ${JSON.stringify(errorBody(f.body.error.message, f.body.error.type, f.body.error.code))}\n\n`);
  }
  if (!res.destroyed) res.end();
}
