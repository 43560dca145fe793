import type { TokenUsage } from '../cost.js';

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
 * Cache — answers repeated requests without calling a model.
 *
 * Contract: `lookup` is called after admission and before classification; it returns a hit only for the
 * same tenant (never across tenants) and only while the entry is within its TTL. `store` is called after
 * a successful call is settled. Both must be safe for concurrent use; a failing cache must throw nothing
 * the request cannot survive — the engine treats a lookup error as a miss.
 */
export interface Cache {
  lookup(query: CacheQuery): Promise<CacheHit | undefined>;
  store(query: CacheQuery, answer: CachedAnswer): Promise<void>;
}
