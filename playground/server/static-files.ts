import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PlaygroundDistMissingError } from './errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** True when the built page exists. */
export const distReady = (distDir: string): boolean => existsSync(join(distDir, 'index.html'));

/**
 * Serves the Vite-built page from `distDir` (GET only, no directory escapes). When the page was
 * not built, `/` answers 503 with the command to run, and the API keeps working.
 */
export function registerStaticFiles(app: FastifyInstance, distDir: string): void {
  const root = normalize(distDir + sep);
  app.get('/*', async (req, reply) => {
    const url = new URL(req.url, 'http://x');
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return reply.code(400).send({ error: 'bad_request', message: 'malformed URL' });
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = normalize(join(root, rel));
    if (!file.startsWith(root)) return reply.code(404).send({ error: 'not_found', message: 'not found' });
    if (!distReady(distDir)) {
      const e = new PlaygroundDistMissingError(distDir);
      return reply.code(503).type('text/plain; charset=utf-8').send(`${e.message}\n`);
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return reply.code(404).send({ error: 'not_found', message: `no such file ${rel}` });
    }
    const cache = rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    return reply.type(TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream').header('cache-control', cache).send(body);
  });
}
