import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TollgateError } from '../../../index.js';
import { redactSecrets } from '../../../index.js';
import { parseBody } from '../body.js';
import type { PlaygroundContext } from '../context.js';
import { badRequest, PlaygroundHttpError } from '../errors.js';
import { resolvePolicyRef, type PolicyRef } from '../policy-input.js';
import { runSimulation } from '../simulation.js';

const policyRef = z.union([
  z.strictObject({ text: z.string().max(512 * 1024), format: z.enum(['yaml', 'json']).optional() }),
  z.strictObject({ example: z.string() }),
]);
const simulateBody = z.strictObject({
  policies: z.array(policyRef).min(1).max(6),
  traceId: z.string().default('bundled'),
  seed: z.number().int().optional(),
});

/** How often progress lines are written at most (ms). */
const PROGRESS_EVERY_MS = 100;

/**
 * `POST /api/simulate` answers a stream of NDJSON events: `start` (with the run id), `progress`,
 * then one of `result` (the SimulationReport and derived views), `error` or `cancelled`. The run
 * is aborted when the client disconnects or calls `POST /api/runs/:id/cancel`.
 */
export function registerSimulateRoutes(app: FastifyInstance, ctx: PlaygroundContext): void {
  app.post('/api/simulate', async (req, reply) => {
    const body = parseBody(simulateBody, req.body);
    const trace = ctx.traces.get(body.traceId);
    const policies = await Promise.all(body.policies.map((p, i) => resolvePolicyRef(p as PolicyRef, i)));
    const run = ctx.runs.start();
    let finished = false;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    const send = (event: Record<string, unknown>): void => {
      if (!res.destroyed && !res.writableEnded) res.write(`${JSON.stringify(event)}\n`);
    };
    res.on('close', () => {
      if (!finished) ctx.runs.cancel(run.id);
    });
    send({ type: 'start', runId: run.id, policies: policies.map((p) => p.policy.name), trace: { id: trace.id, requests: trace.requests } });
    let lastProgress = 0;
    try {
      const result = await runSimulation({
        policies,
        traceFile: trace.file,
        seed: body.seed,
        signal: run.signal,
        onProgress: (p) => {
          const now = performance.now();
          if (now - lastProgress < PROGRESS_EVERY_MS && p.done !== p.total) return;
          lastProgress = now;
          send({ type: 'progress', policy: p.policy, done: p.done, total: p.total ?? trace.requests, elapsedMs: Math.round(p.elapsedMs) });
        },
      });
      send({ type: 'result', ...result });
    } catch (err) {
      if (run.signal.aborted) send({ type: 'cancelled' });
      else if (err instanceof TollgateError) send({ type: 'error', error: err.code, message: redactSecrets(err.message) });
      else {
        req.log.error(err);
        send({ type: 'error', error: 'internal_error', message: 'the simulation failed unexpectedly' });
      }
    } finally {
      finished = true;
      run.done();
      res.end();
    }
  });

  app.post<{ Params: { id: string } }>('/api/runs/:id/cancel', async (req) => {
    if (!req.params.id) throw badRequest('run id required');
    if (!ctx.runs.cancel(req.params.id)) throw new PlaygroundHttpError(404, 'not_found', `no run "${req.params.id}" in flight`);
    return { cancelled: true };
  });
}
