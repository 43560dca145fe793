import type { z } from 'zod';
import { toFieldIssues } from '../../index.js';
import { badRequest } from './errors.js';

/** Validates a JSON body with a zod schema; a mismatch is a 400 listing every failing field path. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw badRequest('invalid request body', toFieldIssues(r.error.issues));
  return r.data;
}
