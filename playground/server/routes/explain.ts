import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createTollgate } from '../../../index.js';
import { TollgateError } from '../../../index.js';
import { parseBody } from '../body.js';
import type { PlaygroundContext } from '../context.js';
import { badRequest, notFound, PlaygroundHttpError } from '../errors.js';
import { resolvePolicyRef, type PolicyRef } from '../policy-input.js';
import { traceToRequest } from '../trace-request.js';

const explainBody = z.strictObject({
  policy: z.union([z.strictObject({ text: z.string().max(512 * 1024), format: z.enum(['yaml', 'json']).optional() }), z.strictObject({ example: z.string() })]),
  traceId: z.string().default('bundled'),
  requestId: z.string().optional(),
  /** An explicit request (the engine's request shape) instead of a trace row. */
  request: z.record(z.string(), z.unknown()).optional(),
});

/**
 * The debug view: one request's decision as `decide()` (a dry run: no model called, no budget
 * touched) sees it — candidates with predicted cost and quality, the rule, the fallback chain.
 * With `--log`, `GET /api/log/records/:id` returns what actually happened to a logged request.
 */
export function registerExplainRoutes(app: FastifyInstance, ctx: PlaygroundContext): void {
  app.post('/api/explain', async (req) => {
    const body = parseBody(explainBody, req.body);
    const loaded = await resolvePolicyRef(body.policy as PolicyRef, 0);
    let request = body.request;
    if (!request) {
      if (!body.requestId) throw badRequest('give requestId (a trace row) or request');
      const row = await ctx.traces.find(body.traceId, body.requestId);
      if (!row) throw notFound(`request "${body.requestId}" in trace "${body.traceId}"`);
      request = traceToRequest(row) as Record<string, unknown>;
    }
    const tollgate = createTollgate({ policy: loaded });
    try {
      const dryRun = await tollgate.decide(request as Parameters<typeof tollgate.decide>[0]);
      return { policy: { name: loaded.policy.name, version: loaded.version }, request, dryRun };
    } catch (err) {
      if (err instanceof TollgateError) {
        const issues = Array.isArray(err.details.issues) ? (err.details.issues as { path: string; message: string }[]) : undefined;
        throw new PlaygroundHttpError(422, err.code, err.message, issues);
      }
      throw err;
    } finally {
      await tollgate.close();
    }
  });

  app.get('/api/log', async () => {
    const log = ctx.log;
    if (!log) return { loaded: false };
    const { file, records, issues, executive, oncall, recent } = log;
    return { loaded: true, file, records, issues, executive, oncall, recent: recent.slice(0, 100) };
  });

  app.get<{ Params: { id: string } }>('/api/log/records/:id', async (req) => {
    const record = ctx.log?.byId.get(req.params.id);
    if (!record) throw notFound(`logged request "${req.params.id}"`);
    return { record };
  });
}
