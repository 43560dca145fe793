/**
 * The per-day rollup upsert, shared by the sink's batch statement (the rows a batch inserted) and
 * migration 2 (a rebuild from every decision row): one group per day × tenant × model × rule × tier ×
 * served service tier, every counter added to the existing group (no read-modify-write in Node, no
 * per-request UPDATE of a hot row). Groups are written in key order so concurrent batches cannot deadlock.
 */

/** The decision columns a rollup group sums (what the batch's insert returns, and what migration 2 rebuilds from). */
export const ROLLUP_SOURCE =
  'day, tenant, model_key, rule, tier, service_tier, outcome, input_tokens, output_tokens, cached_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, ' +
  'vendor_micros, vendor_input_micros, vendor_cached_input_micros, vendor_cache_write_micros, vendor_output_micros, infra_micros, ops_micros, full_micros, cache_hit, cache_saved_micros, fallbacks, quality';

const SUMS = ['input_tokens', 'output_tokens', 'cached_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'reasoning_tokens', 'vendor_micros', 'vendor_input_micros', 'vendor_cached_input_micros', 'vendor_cache_write_micros', 'vendor_output_micros', 'infra_micros', 'ops_micros', 'full_micros'];
const ADDED = ['requests', 'ok', 'errors', 'refused', ...SUMS, 'cache_hits', 'cache_saved_micros', 'fallbacks', 'quality_sum', 'quality_count'];

/** Upserts the rollup groups of the decision rows in `from` (a CTE or table with {@link ROLLUP_SOURCE}'s columns), adding to existing groups. */
export function rollupUpsert(s: string, from: string): string {
  return `INSERT INTO ${s}.daily_rollup AS d (day, tenant, model, rule, tier, service_tier, ${ADDED.join(', ')})
  SELECT day, tenant, model_key, coalesce(rule, '(none)'), coalesce(tier, '(none)'), coalesce(service_tier, '(none)'), count(*),
    count(*) FILTER (WHERE outcome = 'ok'), count(*) FILTER (WHERE outcome = 'error'), count(*) FILTER (WHERE outcome = 'refused'),
    ${SUMS.map((c) => `sum(${c})`).join(', ')},
    count(*) FILTER (WHERE cache_hit), sum(cache_saved_micros), count(*) FILTER (WHERE fallbacks > 0), coalesce(sum(quality), 0), count(quality)
  FROM ${from} GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (day, tenant, model, rule, tier, service_tier) DO UPDATE SET
    ${ADDED.map((c) => `${c} = d.${c} + excluded.${c}`).join(', ')}`;
}

