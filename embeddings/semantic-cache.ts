import type { Cache, CachedAnswer, CacheHit, CacheQuery } from '../engine/seams/cache.js';
import type { Embedder } from './embedder.js';

export interface SemanticCacheOptions {
  /** Embeds prompts for semantic matching; omit for an exact-only cache. */
  embedder?: Embedder;
  /**
   * Cosine similarity at or above which a different prompt counts as the same question. A false hit
   * serves a wrong answer, so the default is chosen for precision (see bench/results/semantic-cache.json).
   */
  threshold?: number;
  /** Entries expire this long after they were stored. Default 1 hour. */
  ttlMs?: number;
  /** Bound on entries across all tenants; the least recently used go first. Default 10,000. */
  maxEntries?: number;
  clock?: () => number;
}

/** The shipped default threshold (cosine). Lowest threshold with precision 1.0 on MRPC-train (bench/semantic-cache.ts); MRPC-test precision 1.0, recall 1.7%. */
export const DEFAULT_SEMANTIC_THRESHOLD = 0.975;

interface Entry {
  tenant: string;
  scope: string;
  key: string;
  answer: CachedAnswer;
  vector?: Float32Array;
  expiresAt: number;
}

/**
 * Response cache behind the engine's `Cache` seam: exact match on the request hash first, then semantic
 * match (cosine ≥ threshold) among the same tenant's entries with the same scope (model and parameters).
 * Entries live in per-tenant partitions, so a lookup can only ever see its own tenant's answers.
 * In-process, TTL- and size-bounded (LRU). Stampede protection is the engine's single flight.
 */
export class SemanticCache implements Cache {
  readonly specificationVersion = 'v1' as const;
  private readonly byKey = new Map<string, Entry>(); // insertion order = LRU order
  private readonly byTenant = new Map<string, Set<Entry>>();
  private readonly threshold: number;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;
  /** Vectors computed during lookup, reused by the store that follows a miss. */
  private readonly pendingVectors = new Map<string, Float32Array>();

  constructor(private readonly options: SemanticCacheOptions = {}) {
    this.threshold = options.threshold ?? DEFAULT_SEMANTIC_THRESHOLD;
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.byKey.size;
  }

  async lookup(q: CacheQuery): Promise<CacheHit | undefined> {
    const now = this.clock();
    const id = entryId(q.tenant, q.key);
    const exact = this.byKey.get(id);
    if (exact && exact.expiresAt > now) {
      this.touch(id, exact);
      return { ...exact.answer, match: 'exact', similarity: 1 };
    }
    if (exact) this.remove(id, exact);
    const embedder = this.options.embedder;
    const partition = this.byTenant.get(q.tenant);
    if (!embedder || q.text.trim() === '') return undefined;
    const [vector] = await embedder.embed([q.text]);
    this.pendingVectors.set(id, vector!);
    if (this.pendingVectors.size > 1000) this.pendingVectors.delete(this.pendingVectors.keys().next().value!);
    if (!partition) return undefined;
    let best: Entry | undefined;
    let bestSim = -1;
    for (const e of partition) {
      if (e.scope !== q.scope || !e.vector || e.expiresAt <= now) continue;
      const sim = dot(vector!, e.vector);
      if (sim > bestSim) {
        bestSim = sim;
        best = e;
      }
    }
    if (!best || bestSim < this.threshold) return undefined;
    this.touch(entryId(best.tenant, best.key), best);
    return { ...best.answer, match: 'semantic', similarity: bestSim };
  }

  async store(q: CacheQuery, answer: CachedAnswer): Promise<void> {
    const id = entryId(q.tenant, q.key);
    let vector = this.pendingVectors.get(id);
    this.pendingVectors.delete(id);
    if (!vector && this.options.embedder && q.text.trim() !== '') [vector] = await this.options.embedder.embed([q.text]);
    const old = this.byKey.get(id);
    if (old) this.remove(id, old);
    const entry: Entry = { tenant: q.tenant, scope: q.scope, key: q.key, answer, vector, expiresAt: this.clock() + this.ttlMs };
    this.byKey.set(id, entry);
    let partition = this.byTenant.get(q.tenant);
    if (!partition) this.byTenant.set(q.tenant, (partition = new Set()));
    partition.add(entry);
    while (this.byKey.size > this.maxEntries) {
      const [oldestId, oldest] = this.byKey.entries().next().value as [string, Entry];
      this.remove(oldestId, oldest);
    }
  }

  private touch(id: string, e: Entry): void {
    this.byKey.delete(id);
    this.byKey.set(id, e);
  }

  private remove(id: string, e: Entry): void {
    this.byKey.delete(id);
    const p = this.byTenant.get(e.tenant);
    p?.delete(e);
    if (p && p.size === 0) this.byTenant.delete(e.tenant);
  }
}

const entryId = (tenant: string, key: string): string => `${tenant}\u0000${key}`;

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
