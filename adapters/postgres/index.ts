/**
 * `tollgate/postgres`: the PostgreSQL decision sink (group commit, day partitions, rollups) and its
 * schema migrations. Needs the `pg` package (`npm install pg`), loaded on first use.
 */
export { PostgresDecisionSink, type PostgresDecisionSinkOptions } from './postgres-decision-sink.js';
export { migrate, schemaVersion, MIGRATIONS, LATEST_SCHEMA_VERSION, type Migration, type MigrateResult } from './migrations.js';
export { assertSchemaCurrent } from './schema-check.js';
export { DatabaseUnavailableError, SchemaTooNewError, InvalidDecisionRecordError, redactUrl } from './errors.js';
export { openPool, loadPg, ident, type PgPool, type PoolOptions } from './pg-loader.js';
export { COLUMNS as DECISION_COLUMNS, toRow as decisionRow } from './decision-rows.js';
export { ensurePartitions } from './partitions.js';
