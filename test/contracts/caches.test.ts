import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisCache } from '../../adapters/stores/redis-cache.js';
import type { Embedder } from '../../embeddings/embedder.js';
import { createEmbedder } from '../../embeddings/index.js';
import { SemanticCache } from '../../embeddings/semantic-cache.js';
import { cacheContract } from '../../testing/index.js';
import { connectTestRedis, deletePrefix, testPrefix } from '../support/redis.js';

/** The exported Cache suite against the built-in caches (the shipped embedding model, on CPU). */
let embedder: Embedder;
beforeAll(async () => {
  embedder = await createEmbedder();
}, 60_000);

let redis: Redis | undefined;
const prefix = testPrefix();
afterAll(async () => {
  if (!redis) return;
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

cacheContract('SemanticCache (exact only, no embedder)', async (clock, ttlMs) => new SemanticCache({ clock: clock.fn, ttlMs }));
cacheContract('SemanticCache (ONNX embedder)', async (clock, ttlMs) => new SemanticCache({ embedder, clock: clock.fn, ttlMs }));
cacheContract('RedisCache (real Redis at 127.0.0.1:6379)', async (_clock, ttlMs) => {
  redis ??= await connectTestRedis();
  return new RedisCache({ redis, keyPrefix: prefix, ttlMs, flightWaitMs: 200 });
}, { serverClock: true });
