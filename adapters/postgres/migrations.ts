import { ident, type PgPool } from './pg-loader.js';
import { SchemaTooNewError } from './errors.js';
import { partExprs } from './decision-rows.js';
import { ROLLUP_SOURCE, rollupUpsert } from './rollup-sql.js';

/**
 * Versioned schema migrations, applied in order, each in its own transaction, under an advisory lock
 * (so replicas starting together apply each migration once). The applied versions live in
 * `<schema>.schema_migrations`. A database whose version is newer than {@link LATEST_SCHEMA_VERSION} is
 * refused ({@link SchemaTooNewError}): an older build must not write into a layout it does not know.
 * Append new migrations; never edit an applied one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: (s: string) => string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'decisions partitioned by day, daily rollups, feedback',
    sql: (s) => `
      CREATE TABLE ${s}.decisions (
        day date NOT NULL,
        time timestamptz NOT NULL,
        request_id text NOT NULL,
        tenant text NOT NULL,
        model_key text NOT NULL,
        model text,
        chosen text,
        rule text,
        tier text,
        outcome text NOT NULL,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        cached_tokens bigint NOT NULL,
        token_source text NOT NULL,
        vendor_micros bigint NOT NULL,
        infra_micros bigint NOT NULL,
        ops_micros bigint NOT NULL,
        full_micros bigint NOT NULL,
        cache_hit boolean NOT NULL,
        cache_saved_micros bigint NOT NULL,
        fallbacks integer NOT NULL,
        attempts integer NOT NULL,
        quality double precision,
        latency_ms double precision NOT NULL,
        error_code text,
        record jsonb NOT NULL,
        PRIMARY KEY (day, request_id)
      ) PARTITION BY RANGE (day);
      CREATE INDEX decisions_request_id ON ${s}.decisions (request_id);
      CREATE INDEX decisions_time ON ${s}.decisions (time);
      CREATE TABLE ${s}.daily_rollup (
        day date NOT NULL,
        tenant text NOT NULL,
        model text NOT NULL,
        rule text NOT NULL,
        tier text NOT NULL,
        requests bigint NOT NULL,
        ok bigint NOT NULL,
        errors bigint NOT NULL,
        refused bigint NOT NULL,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        cached_tokens bigint NOT NULL,
        vendor_micros bigint NOT NULL,
        infra_micros bigint NOT NULL,
        ops_micros bigint NOT NULL,
        full_micros bigint NOT NULL,
        cache_hits bigint NOT NULL,
        cache_saved_micros bigint NOT NULL,
        fallbacks bigint NOT NULL,
        quality_sum double precision NOT NULL,
        quality_count bigint NOT NULL,
        PRIMARY KEY (day, tenant, model, rule, tier)
      );
      CREATE TABLE ${s}.feedback (
        request_id text NOT NULL,
        time timestamptz NOT NULL,
        score double precision NOT NULL,
        PRIMARY KEY (request_id, time, score)
      );`,
  },
  {
    version: 2,
    name: 'vendor cost parts, token subsets and served service tier in decisions and rollups',
    sql: (s) => {
      const parts = partExprs('x.record');
      const cols = Object.keys(parts);
      const counts = cols.filter((c) => c !== 'service_tier');
      return `
      ALTER TABLE ${s}.decisions ADD COLUMN service_tier text, ${counts.map((c) => `ADD COLUMN ${c} bigint NOT NULL DEFAULT 0`).join(', ')};
      UPDATE ${s}.decisions AS x SET ${cols.map((c) => `${c} = ${parts[c]!}`).join(', ')}
        WHERE x.record ? 'serviceTier' OR x.record->'cost' ? 'parts' OR x.record->'tokens' ?| array['cacheWrite', 'cacheWrite1h', 'reasoning'];
      ALTER TABLE ${s}.daily_rollup ADD COLUMN service_tier text NOT NULL DEFAULT '(none)', ${counts.map((c) => `ADD COLUMN ${c} bigint NOT NULL DEFAULT 0`).join(', ')};
      ALTER TABLE ${s}.daily_rollup DROP CONSTRAINT daily_rollup_pkey, ADD PRIMARY KEY (day, tenant, model, rule, tier, service_tier);
      -- The rollups are exactly the sums of the decision rows (the sink adds only the rows it inserted), so they are rebuilt
      -- from them with the new parts and grain: one scan of the decisions, once.
      TRUNCATE ${s}.daily_rollup;
      ${rollupUpsert(s, `(SELECT ${ROLLUP_SOURCE} FROM ${s}.decisions) AS src`)};`;
    },
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Advisory lock key of the migrator (any constant; per schema via hashtext). */
const LOCK = 0x70_11_6a_7e;

export interface MigrateResult {
  schema: string;
  from: number;
  to: number;
  applied: number[];
}

/** Current schema version (0 when the schema has never been migrated). */
export async function schemaVersion(pool: PgPool, schema: string): Promise<number> {
  const s = ident(schema);
  const exists = await pool.query(`SELECT to_regclass($1) AS t`, [`${s}.schema_migrations`]);
  if (!exists.rows[0].t) return 0;
  const r = await pool.query(`SELECT coalesce(max(version), 0)::int AS v FROM ${s}.schema_migrations`);
  return r.rows[0].v as number;
}

/** Applies the missing migrations; refuses a schema newer than this build. Safe to run concurrently. */
export async function migrate(pool: PgPool, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  const s = ident(schema);
  const latest = migrations[migrations.length - 1]!.version;
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK, schema]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const from = ((await client.query(`SELECT coalesce(max(version), 0)::int AS v FROM ${s}.schema_migrations`)).rows[0].v as number);
      if (from > latest) throw new SchemaTooNewError(from, latest, schema);
      const applied: number[] = [];
      for (const m of migrations) {
        if (m.version <= from) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql(s));
          await client.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        applied.push(m.version);
      }
      return { schema, from, to: Math.max(from, latest), applied };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK, schema]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}
