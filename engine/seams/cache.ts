import type { TokenUsage } from '../cost.js';
import type { SpecificationVersion } from './specification.js';

export interface CacheQuery {
  tenant: string;
  /** Hash of the normalised request (messages, pinned model, parameters). */
  key: string;
  /** The prompt text, for semantic matching. */
  text: string;
  /** Hash of what must match besides the text (pinned model, output cap, temperature); semantic hits stay within it. */
  scope: string;
}

export interface CachedAnswer {
  text: string;
  model: string;
  usage: TokenUsage;
  /** Full cost of the original call, micro-dollars: what this hit saved. */
  fullMicros: number;
}

export interface CacheHit extends CachedAnswer {
  match: 'exact' | 'semantic';
  similarity?: number;
}

/**
 * Error codes a Cache may throw. The engine survives every one: a failing `lookup` is a miss and a
 * failing `store` is ignored, so a cache outage costs money, never an answer.
 * - `store_unavailable` — a shared cache (Redis) could not answer.
 * - `embedding_model_invalid`, `embedding_input_invalid` — a semantic cache could not embed the prompt.
 */
export type CacheErrorCode = 'store_unavailable' | 'embedding_model_invalid' | 'embedding_input_invalid';

/**
 * Cache — answers repeated requests without calling a model.
 *
 * Must be safe for concurrent use. A cache shared across processes (Redis) must keep tenants apart there
 * too; in-process caches are per engine. Contract suite: `cacheContract`.
 */
export interface Cache {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  /**
   * Called once per request before classification (after validation and counting). Returns a hit only for
   * the same tenant (never across tenants), only within the query's `scope`, and only while the entry is
   * within its TTL: `match: 'exact'` for the same `key`, `'semantic'` (with `similarity`) for a similar
   * `text` when the cache does that. `undefined` is a miss. May throw a {@link CacheErrorCode} (a miss to the engine).
   */
  lookup(query: CacheQuery): Promise<CacheHit | undefined>;
  /**
   * Called after a successful model call is settled (never for errors or cache hits), with the answer and
   * what it cost. Storing the same key again replaces the entry. May throw a {@link CacheErrorCode} (ignored).
   */
  store(query: CacheQuery, answer: CachedAnswer): Promise<void>;
}
