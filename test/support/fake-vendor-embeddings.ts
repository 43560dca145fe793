import { createHash } from 'node:crypto';
import { fakeTokenCount } from './fake-vendor-protocols.js';

/** The fake's embedding of a text: `dimensions` (default 8) numbers in [-1, 1) from its sha256. */
export function fakeEmbedding(text: string, dimensions = 8): number[] {
  const h = createHash('sha256').update(text).digest();
  return Array.from({ length: dimensions }, (_, i) => h[i % h.length]! / 128 - 1);
}

/** OpenAI's embeddings response for a body; usage = `fakeTokenCount` of every input. Data in reverse order (clients must sort by index). */
export function fakeEmbeddings(body: Record<string, unknown>) {
  const input = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? (body.input as string[]) : [];
  const dims = typeof body.dimensions === 'number' ? body.dimensions : 8;
  const tokens = input.reduce((n, t) => n + fakeTokenCount(t), 0);
  return {
    object: 'list',
    data: input.map((t, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(t, dims) })).reverse(),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
