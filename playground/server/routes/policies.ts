import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseBody } from '../body.js';
import { notFound } from '../errors.js';
import { checkPolicyText, listExamples } from '../policy-input.js';

const validateBody = z.strictObject({
  text: z.string().max(512 * 1024),
  format: z.enum(['yaml', 'json']).optional(),
});

/** Example policies and validation as you type (the CLI's schema and cross-field checks). */
export function registerPolicyRoutes(app: FastifyInstance): void {
  app.get('/api/policies', async () => ({
    policies: (await listExamples()).map(({ name, format, text }) => ({ name, format, text })),
  }));

  app.get<{ Params: { name: string } }>('/api/policies/:name', async (req) => {
    const found = (await listExamples()).find((e) => e.name === req.params.name);
    if (!found) throw notFound(`policy "${req.params.name}"`);
    return { name: found.name, format: found.format, text: found.text };
  });

  app.post('/api/policies/validate', async (req) => {
    const { text, format } = parseBody(validateBody, req.body);
    const check = checkPolicyText(text, format);
    if (!check.ok) return { ok: false, issues: check.issues };
    const p = check.loaded.policy;
    return { ok: true, name: p.name, version: check.loaded.version, models: p.models.length, rules: p.rules.length };
  });
}
