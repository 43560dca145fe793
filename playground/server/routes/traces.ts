import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseBody } from '../body.js';
import type { PlaygroundContext } from '../context.js';
import type { TraceEntry } from '../trace-store.js';

const uploadBody = z.strictObject({ name: z.string().max(200).optional(), text: z.string() });
const generateBody = z.strictObject({
  seed: z.number().int(),
  requests: z.number().int(),
  tenants: z.number().int().default(5),
});

const summary = ({ id, name, source, format, requests, skipped, issues, bytes }: TraceEntry) => ({ id, name, source, format, requests, skipped, issues, bytes });

/** Traces: the bundled one, uploads (the CLI's importers; bad rows reported by line) and the generator. */
export function registerTraceRoutes(app: FastifyInstance, ctx: PlaygroundContext): void {
  app.get('/api/traces', async () => ({ traces: ctx.traces.list().map(summary) }));

  app.post('/api/traces', { bodyLimit: ctx.uploadLimit }, async (req, reply) => {
    const { name, text } = parseBody(uploadBody, req.body);
    const entry = await ctx.traces.upload(name ?? '', text);
    return reply.code(201).send(summary(entry));
  });

  app.post('/api/traces/generate', async (req, reply) => {
    const knobs = parseBody(generateBody, req.body);
    const entry = await ctx.traces.generate(knobs);
    return reply.code(201).send(summary(entry));
  });

  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>('/api/traces/:id/requests', async (req) => {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 500);
    const requests = await ctx.traces.head(req.params.id, limit);
    return {
      requests: requests.map((r) => ({
        id: r.id,
        timestamp: new Date(r.timestamp).toISOString(),
        tenant: r.tenant,
        task: r.task,
        promptTokens: r.promptTokens,
        outputTokens: r.outputTokens,
        tags: r.tags,
      })),
    };
  });
}
