import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CompletionResult, StreamChunk, Tollgate } from '../index.js';
import { toFieldIssues } from '../index.js';
import { type Inflight, resultHeaders } from './chat-route.js';
import { clientAbortSignal } from './client-abort.js';
import { httpFailure } from './http-errors.js';
import { invalidBodyMessage, tagsOf, withCaller } from './route-request.js';
import { addResultTrailers, openSse, writeSse } from './sse-response.js';
import { anthropicError, anthropicUsage, messageBody, messageId, messagesBodySchema, messagesToRequest, sseEvent, stopReasonOf } from './messages-shapes.js';

/**
 * `POST /v1/messages`: the Anthropic Messages API in front of the same engine, so the official
 * `@anthropic-ai/sdk` client (baseURL at the gateway, `x-api-key` = a Tollgate key) works unchanged. The
 * body is translated to the engine's request model (gateway/messages-shapes.ts); any model may answer it
 * (an OpenAI-compatible one too) and the client gets Anthropic's shapes back: a `message`, or SSE events
 * `message_start`, `content_block_start`/`_delta`/`_stop` (text_delta, input_json_delta), `message_delta`
 * (stop_reason, usage) and `message_stop`. Errors are Anthropic's `{type: 'error', error: {type, message}}`
 * with the same statuses and Retry-After as Chat Completions; an error after the stream started is an
 * `error` event. Headers as on Chat Completions (model, cost, request id).
 */
export function messagesHandler(tollgate: Tollgate, inflight: Inflight) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const id = req.tollgateRequestId;
    const parsed = messagesBodySchema.safeParse(req.body);
    if (!parsed.success) {
      const issues = toFieldIssues(parsed.error.issues);
      return reply.code(400).send(anthropicError(400, invalidBodyMessage(issues)));
    }
    const body = parsed.data;
    const request = withCaller(messagesToRequest(body, req.tenant!, id, tagsOf(req)), req); // per-key loop detection, as on Chat Completions
    const signal = clientAbortSignal(reply, true);
    const failure = (err: unknown) => {
      const f = httpFailure(err);
      return reply.code(f.status).headers(f.headers).send(anthropicError(f.status, f.body.error.message));
    };
    if (!body.stream) {
      let result: CompletionResult;
      try {
        result = await inflight.track(tollgate.complete(request, { signal }));
      } catch (err) {
        return failure(err);
      }
      return reply.code(200).headers(resultHeaders(result)).send(messageBody(result));
    }
    const it = tollgate.stream(request, { signal })[Symbol.asyncIterator]();
    let first: IteratorResult<StreamChunk>;
    try {
      first = await inflight.track(it.next());
    } catch (err) {
      return failure(err);
    }
    reply.hijack();
    await inflight.track(streamMessages(reply.raw, it, first, { requestId: id, model: body.model }));
    return undefined;
  };
}

/** Streams engine chunks as Anthropic events: one text block, then one tool_use block per call, in order. */
async function streamMessages(res: ServerResponse, it: AsyncIterator<StreamChunk>, first: IteratorResult<StreamChunk>, o: { requestId: string; model: string }): Promise<void> {
  openSse(res, o.requestId);
  const start = { id: messageId(o.requestId), type: 'message', role: 'assistant', model: o.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
  await writeSse(res, sseEvent('message_start', { message: start }));
  let open: number | undefined; // the block being streamed
  let next = 0; // the next block index
  let textBlock: number | undefined;
  const toolBlock = new Map<number, number>(); // tool call index → block index
  const close = async () => {
    if (open !== undefined) await writeSse(res, sseEvent('content_block_stop', { index: open }));
    open = undefined;
  };
  let step = first;
  try {
    for (;;) {
      if (step.done) break;
      const c = step.value;
      if (c.type === 'delta') {
        if (c.text) {
          if (textBlock === undefined) {
            await close();
            textBlock = open = next++;
            await writeSse(res, sseEvent('content_block_start', { index: open, content_block: { type: 'text', text: '' } }));
          }
          await writeSse(res, sseEvent('content_block_delta', { index: textBlock, delta: { type: 'text_delta', text: c.text } }));
        }
        for (const t of c.toolCalls ?? []) {
          let index = toolBlock.get(t.index);
          if (index === undefined) {
            await close();
            index = open = next++;
            toolBlock.set(t.index, index);
            await writeSse(res, sseEvent('content_block_start', { index, content_block: { type: 'tool_use', id: t.id ?? '', name: t.name ?? '', input: {} } }));
          }
          if (t.arguments) await writeSse(res, sseEvent('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: t.arguments } }));
        }
      } else {
        const r = c.result;
        if (next === 0) {
          await writeSse(res, sseEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
          open = 0;
        }
        await close();
        await writeSse(res, sseEvent('message_delta', { delta: { stop_reason: stopReasonOf(r.finishReason), stop_sequence: null }, usage: anthropicUsage(r) }));
        await writeSse(res, sseEvent('message_stop', {}));
        addResultTrailers(res, r);
        break;
      }
      step = await it.next();
    }
  } catch (err) {
    const f = httpFailure(err);
    if (!res.destroyed) await writeSse(res, sseEvent('error', { error: anthropicError(f.status, f.body.error.message).error }));
  }
  if (!res.destroyed) res.end();
}
