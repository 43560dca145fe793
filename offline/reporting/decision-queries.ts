import type { DecisionRecord } from '../../index.js';

/**
 * One group of the per-day rollups: the totals of every record with the same UTC day (from the record's
 * `time`), tenant, model (answering model, else chosen, else `(none)`), rule, tier and served service tier
 * (`(none)` when unset). This grain answers chargeback, `report` by any dimension and token inflation
 * without reading a record. The vendor cost parts and token subsets are summed like the rest (engine/ledger.ts).
 */
export interface RollupRow {
  day: string;
  tenant: string;
  model: string;
  rule: string;
  tier: string;
  serviceTier: string;
  requests: number;
  ok: number;
  errors: number;
  refused: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  reasoningTokens: number;
  vendorMicros: number;
  vendorInputMicros: number;
  vendorCachedInputMicros: number;
  vendorCacheWriteMicros: number;
  vendorOutputMicros: number;
  infraMicros: number;
  opsMicros: number;
  fullMicros: number;
  cacheHits: number;
  cacheSavedMicros: number;
  /** Requests with at least one fallback. */
  fallbacks: number;
  qualitySum: number;
  qualityCount: number;
}

/** Inclusive UTC day range (`YYYY-MM-DD`); either end open. */
export interface DayRange {
  from?: string;
  to?: string;
}

/** Per-day, per-answering-model vendor totals for reconciliation (vendor tier, cache hits excluded). */
export interface VendorDayTotals {
  day: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costMicros: number;
}

export interface HourSpend {
  hour: string;
  requests: number;
  fullMicros: number;
  vendorMicros: number;
}

/**
 * The query side of a decision store: what `report`, `chargeback`, `reconcile`, `explain --id` and the
 * playground's log views need, each answered by an aggregation where the data is (PostgreSQL here; a
 * ClickHouse implementation maps each method to one query, see docs/deploy.md). Implementations never
 * hand every record to Node, except `records`, which streams the few a caller asks for.
 */
export interface DecisionQueries {
  /** Where the data is, for report headers (`postgres:tollgate`). */
  readonly label: string;
  /** The rollup groups of the days in range, summed (maintained at write time). */
  rollups(range?: DayRange): Promise<RollupRow[]>;
  /** Requests logged outside the range (what a month's chargeback skips). */
  requestsOutside(range: DayRange): Promise<number>;
  /** One logged record by request id (the latest if a retried id was logged on two days). */
  record(requestId: string): Promise<DecisionRecord | undefined>;
  /** The latest records, newest first. */
  recent(limit: number): Promise<DecisionRecord[]>;
  /** Requests and spend per UTC hour (`hour`: ISO start of the hour), oldest first. */
  hourly(range?: DayRange): Promise<HourSpend[]>;
  /** Records at or after `time` (ISO), oldest first, at most `limit` (the newest ones when more). */
  since(time: string, limit: number): Promise<DecisionRecord[]>;
  /** Reconciliation totals over the days in range. */
  vendorTotals(range: DayRange): Promise<VendorDayTotals[]>;
  /** Records that may explain a reconciliation difference (fallbacks, errors, estimated tokens, retries), at most `limit` per day and model. */
  explainerRecords(range: DayRange, limit: number): Promise<DecisionRecord[]>;
  close(): Promise<void>;
}
