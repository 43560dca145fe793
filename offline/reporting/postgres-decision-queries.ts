import type { DecisionRecord } from '../../index.js';
import { assertSchemaCurrent, ident, openPool, type PgPool } from '../../adapters/postgres/index.js';
import type { DayRange, DecisionQueries, HourSpend, RollupRow, VendorDayTotals } from './decision-queries.js';

const n = (v: unknown): number => Number(v);

/**
 * {@link DecisionQueries} over the PostgreSQL decision store: reports read `daily_rollup` (kept by the
 * sink's batched upserts), so month-to-date chargeback is a scan of a few thousand rollup rows, not of
 * the records. Reconciliation totals are one GROUP BY over the range's day partitions (partition pruning).
 */
export class PostgresDecisionQueries implements DecisionQueries {
  readonly label: string;
  private readonly s: string;

  private constructor(private readonly pool: PgPool, readonly schema: string) {
    this.s = ident(schema);
    this.label = `postgres:${schema}`;
  }

  /** Connects and checks the schema version (a clear `db_unavailable` / `db_schema_*` error otherwise). */
  static async open(url: string, schema = 'tollgate'): Promise<PostgresDecisionQueries> {
    ident(schema);
    const pool = await openPool(url, { max: 2, applicationName: 'tollgate-reports' });
    try {
      await assertSchemaCurrent(pool, schema);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return new PostgresDecisionQueries(pool, schema);
  }

  async rollups(range: DayRange = {}): Promise<RollupRow[]> {
    const { where, params } = dayWhere(range);
    const r = await this.pool.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, tenant, model, rule, tier, service_tier, sum(requests) AS requests, sum(ok) AS ok, sum(errors) AS errors, sum(refused) AS refused,
        sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, sum(cached_tokens) AS cached_tokens,
        sum(cache_write_tokens) AS cache_write_tokens, sum(cache_write_1h_tokens) AS cache_write_1h_tokens, sum(reasoning_tokens) AS reasoning_tokens, sum(vendor_micros) AS vendor_micros,
        sum(vendor_input_micros) AS vendor_input_micros, sum(vendor_cached_input_micros) AS vendor_cached_input_micros,
        sum(vendor_cache_write_micros) AS vendor_cache_write_micros, sum(vendor_output_micros) AS vendor_output_micros,
        sum(infra_micros) AS infra_micros, sum(ops_micros) AS ops_micros, sum(full_micros) AS full_micros, sum(cache_hits) AS cache_hits,
        sum(cache_saved_micros) AS cache_saved_micros, sum(fallbacks) AS fallbacks, sum(quality_sum) AS quality_sum, sum(quality_count) AS quality_count
       FROM ${this.s}.daily_rollup ${where} GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`,
      params,
    );
    return r.rows.map((x) => ({
      day: x.day, tenant: x.tenant, model: x.model, rule: x.rule, tier: x.tier, serviceTier: x.service_tier,
      requests: n(x.requests), ok: n(x.ok), errors: n(x.errors), refused: n(x.refused),
      inputTokens: n(x.input_tokens), outputTokens: n(x.output_tokens), cachedTokens: n(x.cached_tokens),
      cacheWriteTokens: n(x.cache_write_tokens), cacheWrite1hTokens: n(x.cache_write_1h_tokens), reasoningTokens: n(x.reasoning_tokens),
      vendorMicros: n(x.vendor_micros), vendorInputMicros: n(x.vendor_input_micros), vendorCachedInputMicros: n(x.vendor_cached_input_micros),
      vendorCacheWriteMicros: n(x.vendor_cache_write_micros), vendorOutputMicros: n(x.vendor_output_micros), infraMicros: n(x.infra_micros), opsMicros: n(x.ops_micros), fullMicros: n(x.full_micros),
      cacheHits: n(x.cache_hits), cacheSavedMicros: n(x.cache_saved_micros), fallbacks: n(x.fallbacks),
      qualitySum: n(x.quality_sum), qualityCount: n(x.quality_count),
    }));
  }

  async requestsOutside(range: DayRange): Promise<number> {
    const r = await this.pool.query(
      `SELECT coalesce(sum(requests), 0) AS n FROM ${this.s}.daily_rollup WHERE ($1::date IS NOT NULL AND day < $1::date) OR ($2::date IS NOT NULL AND day > $2::date)`,
      [range.from ?? null, range.to ?? null],
    );
    return n(r.rows[0].n);
  }

  async record(requestId: string): Promise<DecisionRecord | undefined> {
    const r = await this.pool.query(`SELECT record FROM ${this.s}.decisions WHERE request_id = $1 ORDER BY time DESC LIMIT 1`, [requestId]);
    return r.rows[0]?.record as DecisionRecord | undefined;
  }

  async recent(limit: number): Promise<DecisionRecord[]> {
    const r = await this.pool.query(`SELECT record FROM ${this.s}.decisions ORDER BY time DESC, request_id DESC LIMIT $1`, [limit]);
    return r.rows.map((x) => x.record as DecisionRecord);
  }

  async hourly(range: DayRange = {}): Promise<HourSpend[]> {
    const { where, params } = dayWhere(range);
    const r = await this.pool.query(
      `SELECT to_char(date_trunc('hour', time AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:00:00"Z"') AS hour, count(*) AS n, sum(full_micros) AS f, sum(vendor_micros) AS v
       FROM ${this.s}.decisions ${where} GROUP BY 1 ORDER BY 1`,
      params,
    );
    return r.rows.map((x) => ({ hour: x.hour, requests: n(x.n), fullMicros: n(x.f), vendorMicros: n(x.v) }));
  }

  async since(time: string, limit: number): Promise<DecisionRecord[]> {
    const r = await this.pool.query(
      `SELECT record FROM (SELECT record, time, request_id FROM ${this.s}.decisions WHERE time >= $1::timestamptz AND day >= ($1::timestamptz AT TIME ZONE 'UTC')::date ORDER BY time DESC, request_id DESC LIMIT $2) x ORDER BY time, request_id`,
      [time, limit],
    );
    return r.rows.map((x) => x.record as DecisionRecord);
  }

  async vendorTotals(range: DayRange): Promise<VendorDayTotals[]> {
    const { where, params } = dayWhere(range, `model IS NOT NULL AND NOT cache_hit AND (tier IS NULL OR tier = 'vendor')`);
    const r = await this.pool.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, model, count(*) AS requests, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cached_tokens) AS c, sum(vendor_micros) AS v
       FROM ${this.s}.decisions ${where} GROUP BY 1, 2 ORDER BY 1, 2`,
      params,
    );
    return r.rows.map((x) => ({ day: x.day, model: x.model, requests: n(x.requests), inputTokens: n(x.i), outputTokens: n(x.o), cachedTokens: n(x.c), costMicros: n(x.v) }));
  }

  async explainerRecords(range: DayRange, limit: number): Promise<DecisionRecord[]> {
    const { where, params } = dayWhere(range, `(fallbacks > 0 OR outcome = 'error' OR (model IS NOT NULL AND token_source <> 'vendor') OR attempts > 1 + fallbacks)`);
    const r = await this.pool.query(
      `SELECT record FROM (SELECT record, time, row_number() OVER (PARTITION BY day, model_key ORDER BY time) AS k FROM ${this.s}.decisions ${where}) x
       WHERE k <= $${params.length + 1} ORDER BY time`,
      [...params, limit],
    );
    return r.rows.map((x) => x.record as DecisionRecord);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function dayWhere(range: DayRange, extra?: string): { where: string; params: string[] } {
  const conds: string[] = [];
  const params: string[] = [];
  if (range.from) conds.push(`day >= $${params.push(range.from)}::date`);
  if (range.to) conds.push(`day <= $${params.push(range.to)}::date`);
  if (extra) conds.push(extra);
  return { where: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}
