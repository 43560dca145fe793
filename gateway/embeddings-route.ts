import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Tollgate } from '../index.js';
import { toFieldIssues } from '../index.js';
import { HEADER_COST, HEADER_MODEL, HEADER_REQUEST_ID, type Inflight, sendFailure } from './chat-route.js';
import { fail, httpFailure } from './http-errors.js';
import { AUTO_MODEL } from './openai-shapes.js';
import { invalidBodyMessage, tagsOf } from './route-request.js';

/** The OpenAI embeddings body: `model` (`auto` routes), `input` (string or strings), `dimensions`, `encoding_format` (float or base64), `user`. Token-array inputs are refused. */
const bodySchema = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(2048)]),
  dimensions: z.number().int().positive().optional(),
  /** `base64`: little-endian float32 vectors, base64-encoded (what the official openai client asks for). */
  encoding_format: z.enum(['float', 'base64']).optional(),
  user: z.string().max(200).optional(),
});

/**
 * `POST /v1/embeddings` (OpenAI-compatible): through `tollgate.embed()` for the key's tenant — counted,
 * routed to the cheapest embeddings model, rate-limited, budgeted, priced input-only, deduplicated per
 * tenant, logged with `operation: "embeddings"`. Headers as on Chat Completions.
 */
export function embeddingsHandler(tollgate: Tollgate, inflight: Inflight) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const parsed = bodySchema.safeParse(req.body);
    if (!parsed.success) {
      const issues = toFieldIssues(parsed.error.issues);
      return sendFailure(reply, fail(400, 'invalid_request_error', 'invalid_request', invalidBodyMessage(issues), issues[0]?.path || null));
    }
    const b = parsed.data;
    const tags = tagsOf(req);
    try {
      const r = await inflight.track(
        tollgate.embed({
          id: req.tollgateRequestId,
          tenant: req.tenant!,
          input: b.input,
          ...(b.model !== AUTO_MODEL && { model: b.model }),
          ...(b.dimensions !== undefined && { dimensions: b.dimensions }),
          ...(tags?.length && { tags }),
          ...(b.user && { metadata: { user: b.user } }),
        }),
      );
      return reply
        .code(200)
        .headers({ [HEADER_MODEL]: r.model, [HEADER_COST]: String(r.cost.full), [HEADER_REQUEST_ID]: r.id })
        .send({
          object: 'list',
          data: r.embeddings.map((v, index) => ({ object: 'embedding', index, embedding: b.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v })),
          model: r.model,
          usage: { prompt_tokens: r.usage.inputTokens, total_tokens: r.usage.inputTokens },
        });
    } catch (err) {
      return sendFailure(reply, httpFailure(err));
    }
  };
}
