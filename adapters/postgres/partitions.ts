import { ident, type PgPool } from './pg-loader.js';

/**
 * Creates the daily partitions `decisions_YYYYMMDD` for the given days (`YYYY-MM-DD`) that this process
 * has not seen yet. Replicas creating the same day serialize on an advisory lock and `IF NOT EXISTS`.
 * Old days are dropped by detaching/dropping their partition (retention), never by DELETE.
 */
export async function ensurePartitions(pool: PgPool, schema: string, days: readonly string[], known: Set<string>): Promise<void> {
  const missing = days.filter((d) => !known.has(d));
  if (missing.length === 0) return;
  const s = ident(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${schema}.decisions.partitions`]);
    for (const day of missing) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new RangeError(`bad partition day ${day}`);
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.decisions_${day.replaceAll('-', '')} PARTITION OF ${s}.decisions FOR VALUES FROM ('${day}') TO ('${next}')`);
    }
    await client.query('COMMIT');
    for (const d of missing) known.add(d);
    client.release();
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(err as Error);
    throw err;
  }
}
