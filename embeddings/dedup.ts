/**
 * Dedup before and after embedding.
 * - Exact: texts are normalised and hashed (`contentHash`) before embedding; a hash already seen in this
 *   run, or already stored for the tenant, is never embedded again. Identical text of two tenants is
 *   embedded once and stored once per tenant (the vector depends only on the text, so nothing leaks).
 * - Near-duplicate (opt-in): after embedding, a text whose cosine similarity to a stored row of the same
 *   tenant and namespace is ≥ `threshold` is not stored.
 * The report prices saved embedding time at the configured device cost per hour (integer micro-dollars).
 */
import type { VectorStore } from './vector-store.js';

export interface DedupCostModel {
  device: 'cpu' | 'gpu';
  /** Price of one device-hour in micro-dollars (e.g. 50_000 = $0.05/h). */
  costPerHourMicros: number;
}

export interface DedupReport {
  texts: number;
  /** Repeats of a (tenant, namespace, text) already seen in this run. */
  exactDuplicates: number;
  /** Texts the tenant already had stored (e.g. from an earlier or interrupted run). */
  alreadyStored: number;
  /** Embedded but not stored: a stored row of the tenant was at least `threshold` similar. */
  nearDuplicates: number;
  /** Distinct texts actually sent to the embedder. */
  embedded: number;
  /** Embeddings avoided: texts − embedded. */
  textsSaved: number;
  tokensSaved: number;
  /** tokensSaved × measured embedder seconds per token. */
  embeddingSecondsSaved: number;
  moneySavedMicros: number;
  device: 'cpu' | 'gpu';
}

/** Accumulates dedup outcomes over a run and prices them. */
export class DedupLedger {
  private counts = { texts: 0, exactDuplicates: 0, alreadyStored: 0, nearDuplicates: 0, embedded: 0, tokensSaved: 0 };

  record(outcome: 'exactDuplicate' | 'alreadyStored' | 'embedded' | 'sharedEmbedding', tokens: number): void {
    this.counts.texts++;
    if (outcome === 'exactDuplicate') this.counts.exactDuplicates++;
    if (outcome === 'alreadyStored') this.counts.alreadyStored++;
    if (outcome === 'embedded') this.counts.embedded++;
    if (outcome !== 'embedded') this.counts.tokensSaved += tokens;
  }

  recordNearDuplicate(): void {
    this.counts.nearDuplicates++;
  }

  /** `secondsPerToken`: the embedder's measured seconds / tokens in this run. */
  report(cost: DedupCostModel, secondsPerToken: number): DedupReport {
    const embeddingSecondsSaved = this.counts.tokensSaved * secondsPerToken;
    return {
      ...this.counts,
      textsSaved: this.counts.texts - this.counts.embedded,
      embeddingSecondsSaved,
      moneySavedMicros: Math.round((embeddingSecondsSaved / 3600) * cost.costPerHourMicros),
      device: cost.device,
    };
  }
}

/**
 * Exact dedup state for one run: decides, per item, whether it must be embedded, reuses a vector
 * embedded earlier in the run (another tenant, same text), or is skipped.
 */
export class ExactDedup {
  private readonly seenKeys = new Set<string>();
  /** Recently embedded vectors by hash (bounded), so another tenant's identical text is not re-embedded. */
  private readonly vectors = new Map<string, Float32Array>();

  static readonly VECTOR_MEMO_SIZE = 10_000;

  constructor(private readonly store: VectorStore) {}

  /** Splits items into skipped (seen in this run / stored) and the rest, in input order. */
  async filter<T extends { tenant: string; namespace: string; hash: string }>(items: T[]): Promise<{ fresh: T[]; duplicates: T[]; stored: T[] }> {
    const fresh: T[] = [];
    const duplicates: T[] = [];
    const candidates: T[] = [];
    for (const item of items) {
      const key = `${item.tenant}\0${item.namespace}\0${item.hash}`;
      if (this.seenKeys.has(key)) duplicates.push(item);
      else {
        this.seenKeys.add(key);
        candidates.push(item);
      }
    }
    const groups = new Map<string, T[]>();
    for (const item of candidates) {
      const group = `${item.tenant}\0${item.namespace}`;
      groups.set(group, [...(groups.get(group) ?? []), item]);
    }
    const storedSet = new Set<T>();
    for (const group of groups.values()) {
      const existing = await this.store.existingHashes(group[0].tenant, group[0].namespace, group.map((i) => i.hash));
      for (const item of group) if (existing.has(item.hash)) storedSet.add(item);
    }
    const stored: T[] = [];
    for (const item of candidates) (storedSet.has(item) ? stored : fresh).push(item);
    return { fresh, duplicates, stored };
  }

  /** A vector computed earlier in this run for the same normalised text, if any. */
  vectorFor(hash: string): Float32Array | undefined {
    return this.vectors.get(hash);
  }

  remember(hash: string, vector: Float32Array): void {
    this.vectors.set(hash, vector);
    if (this.vectors.size > ExactDedup.VECTOR_MEMO_SIZE) this.vectors.delete(this.vectors.keys().next().value as string);
  }
}

/** Indexes of `items` that have a stored near-duplicate (cosine ≥ threshold) for the same tenant and namespace. */
export async function findNearDuplicates(
  store: VectorStore,
  items: Array<{ tenant: string; namespace: string; vector: Float32Array }>,
  threshold: number,
): Promise<Set<number>> {
  const near = new Set<number>();
  for (const [index, item] of items.entries()) {
    const [match] = await store.search({ tenant: item.tenant, namespace: item.namespace, vector: item.vector, k: 1, minScore: threshold });
    if (match) near.add(index);
  }
  return near;
}
