/**
 * One step of an embedding job, shared by the single-process batch job and distributed workers:
 * items → exact dedup → embed (distinct texts only) → optional near-dup filter → upsert.
 */
import type { Embedder } from './embedder.js';
import type { VectorRecord, VectorStore } from './vector-store.js';
import { contentHash, normaliseText } from './content-hash.js';
import { DedupLedger, ExactDedup, findNearDuplicates, type DedupCostModel, type DedupReport } from './dedup.js';

/** One input text (a JSONL line). */
export interface EmbedItem {
  id?: string;
  text: string;
  tenant: string;
  namespace: string;
}

export interface EmbedPipelineOptions {
  embedder: Embedder;
  store: VectorStore;
  /** Skip storing texts this similar (cosine) to a stored row of the same tenant. Off by default. */
  nearDuplicateThreshold?: number;
  /** Store the normalised text beside the vector. Default true. */
  storeText?: boolean;
  /**
   * Rows buffered before one upsert commit. Default 4,096: each commit is a LanceDB version and fragment,
   * so committing every small embedding batch would be slow and fragment the table. A crash loses (and a
   * rerun re-embeds) at most this many rows.
   */
  flushRows?: number;
  /**
   * Counts a text as a vendor's tokenizer would (for the vendor-price comparison of a job): applied to
   * each text that needed a vector in this run, totalled in `totals.vendorTokens` and per tenant.
   */
  countVendorTokens?: (text: string) => number;
}

/** One tenant's share of a run: the texts that needed a vector (embedded here, or shared with another tenant's identical text). */
export interface TenantEmbedTotals {
  texts: number;
  tokens: number;
  vendorTokens: number;
}

export interface EmbedPipelineTotals {
  texts: number;
  /** Tokens of every input text (including ones dedup skipped). */
  tokens: number;
  embedded: number;
  embeddedTokens: number;
  stored: number;
  truncated: number;
  /** Seconds spent inside the embedder. */
  embeddingSeconds: number;
  /** `countVendorTokens` over the texts that needed a vector (0 without it). */
  vendorTokens: number;
}

export class EmbedPipeline {
  readonly ledger = new DedupLedger();
  readonly totals: EmbedPipelineTotals = { texts: 0, tokens: 0, embedded: 0, embeddedTokens: 0, stored: 0, truncated: 0, embeddingSeconds: 0, vendorTokens: 0 };
  /** Per tenant: the texts of this run that needed a vector (for allocating the run's compute). */
  readonly byTenant = new Map<string, TenantEmbedTotals>();
  private readonly exact: ExactDedup;
  private pending: VectorRecord[] = [];

  constructor(private readonly options: EmbedPipelineOptions) {
    this.exact = new ExactDedup(options.store);
  }

  async process(items: EmbedItem[]): Promise<void> {
    const { embedder, store } = this.options;
    const planned = items.map((item) => {
      const normalised = normaliseText(item.text);
      return { ...item, normalised, hash: contentHash(normalised), tokens: embedder.countTokens(normalised) };
    });
    this.totals.texts += planned.length;
    this.totals.tokens += planned.reduce((s, p) => s + p.tokens, 0);
    const { fresh, duplicates, stored } = await this.exact.filter(planned);
    for (const d of duplicates) this.ledger.record('exactDuplicate', d.tokens);
    for (const s of stored) this.ledger.record('alreadyStored', s.tokens);

    const local = new Map<string, Float32Array>();
    const toEmbed = new Map<string, string>();
    for (const item of fresh) {
      const memo = this.exact.vectorFor(item.hash);
      if (memo) local.set(item.hash, memo);
      else toEmbed.set(item.hash, item.normalised);
    }
    const hashes = [...toEmbed.keys()];
    const before = { ...embedder.stats };
    const vectors = await embedder.embed([...toEmbed.values()]);
    hashes.forEach((hash, i) => {
      local.set(hash, vectors[i]);
      this.exact.remember(hash, vectors[i]);
    });
    this.totals.embeddingSeconds += embedder.stats.seconds - before.seconds;
    this.totals.truncated += embedder.stats.truncatedCount - before.truncatedCount;
    const embeddedNow = new Set(hashes);
    const countVendor = this.options.countVendorTokens;
    for (const item of fresh) {
      const first = embeddedNow.delete(item.hash);
      this.ledger.record(first ? 'embedded' : 'sharedEmbedding', item.tokens);
      const t = this.byTenant.get(item.tenant) ?? { texts: 0, tokens: 0, vendorTokens: 0 };
      const vendorTokens = countVendor ? countVendor(item.normalised) : 0;
      t.texts++;
      t.tokens += item.tokens;
      t.vendorTokens += vendorTokens;
      this.byTenant.set(item.tenant, t);
      this.totals.vendorTokens += vendorTokens;
      if (first) {
        this.totals.embedded++;
        this.totals.embeddedTokens += item.tokens;
      }
    }

    let records: VectorRecord[] = fresh.map((item) => ({
      tenant: item.tenant,
      namespace: item.namespace,
      hash: item.hash,
      vector: local.get(item.hash) as Float32Array,
      ...(item.id !== undefined ? { id: item.id } : {}),
      ...(this.options.storeText === false ? {} : { text: item.normalised }),
    }));
    if (this.options.nearDuplicateThreshold !== undefined && records.length) {
      const near = await findNearDuplicates(store, records, this.options.nearDuplicateThreshold);
      for (let i = 0; i < near.size; i++) this.ledger.recordNearDuplicate();
      records = records.filter((_, i) => !near.has(i));
    }
    this.pending.push(...records);
    if (this.pending.length >= (this.options.flushRows ?? 4096)) await this.flush();
  }

  /** Commits buffered rows to the store. Call at the end of a run (and before acknowledging a queued chunk). */
  async flush(): Promise<void> {
    if (!this.pending.length) return;
    const rows = this.pending;
    this.pending = [];
    this.totals.stored += (await this.options.store.upsert(rows)).inserted;
  }

  /** Dedup report priced at `cost`, using this run's measured embedder seconds per token. */
  dedupReport(cost: DedupCostModel): DedupReport {
    const secondsPerToken = this.totals.embeddedTokens ? this.totals.embeddingSeconds / this.totals.embeddedTokens : 0;
    return this.ledger.report(cost, secondsPerToken);
  }
}
