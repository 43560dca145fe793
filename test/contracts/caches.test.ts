import { beforeAll } from 'vitest';
import type { Embedder } from '../../embeddings/embedder.js';
import { createEmbedder } from '../../embeddings/index.js';
import { SemanticCache } from '../../embeddings/semantic-cache.js';
import { cacheContract } from '../../testing/index.js';

/** The exported Cache suite against the built-in caches (the shipped embedding model, on CPU). */
let embedder: Embedder;
beforeAll(async () => {
  embedder = await createEmbedder();
}, 60_000);

cacheContract('SemanticCache (exact only, no embedder)', async (clock, ttlMs) => new SemanticCache({ clock: clock.fn, ttlMs }));
cacheContract('SemanticCache (ONNX embedder)', async (clock, ttlMs) => new SemanticCache({ embedder, clock: clock.fn, ttlMs }));
