import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TollgateError } from '../../../index.js';
import { batchSizeTradeoff } from '../../../offline/simulation/index.js';
import { parseBody } from '../body.js';
import type { PlaygroundContext } from '../context.js';
import { PlaygroundHttpError } from '../errors.js';
import { resolvePolicyRef, type PolicyRef } from '../policy-input.js';

const tradeoffBody = z.strictObject({
  policy: z.union([z.strictObject({ text: z.string().max(512 * 1024), format: z.enum(['yaml', 'json']).optional() }), z.strictObject({ example: z.string() })]),
  traceId: z.string().default('bundled'),
  /** Self-hosted model ids; default every model with a capacity curve of more than one point. */
  models: z.array(z.string().min(1)).max(8).optional(),
});

/**
 * The batching view: `POST /api/batch-tradeoff` replays the trace through the policy once per point of
 * each self-hosted model's throughput curve (offline/simulation `batchSizeTradeoff`, queue and
 * autoscaler on) and answers `{ policy, tradeoffs }`: per model, cost, utilization and latency at each
 * batch-size cap. A policy without a multi-point curve answers an empty list.
 */
export function registerBatchTradeoffRoutes(app: FastifyInstance, ctx: PlaygroundContext): void {
  app.post('/api/batch-tradeoff', async (req) => {
    const body = parseBody(tradeoffBody, req.body);
    const trace = ctx.traces.get(body.traceId);
    const loaded = await resolvePolicyRef(body.policy as PolicyRef, 0);
    try {
      const tradeoffs = await batchSizeTradeoff({ policy: loaded, trace: trace.file, models: body.models, traceOptions: { onError: 'skip' } });
      return { policy: { name: loaded.policy.name, version: loaded.version }, trace: { id: trace.id, requests: trace.requests }, tradeoffs };
    } catch (err) {
      if (err instanceof TollgateError) {
        const issues = Array.isArray(err.details.issues) ? (err.details.issues as { path: string; message: string }[]) : undefined;
        throw new PlaygroundHttpError(422, err.code, err.message, issues);
      }
      throw err;
    }
  });
}
