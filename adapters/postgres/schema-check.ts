import { TollgateError } from '../../engine/errors.js';
import { SchemaTooNewError } from './errors.js';
import { LATEST_SCHEMA_VERSION, schemaVersion } from './migrations.js';
import type { PgPool } from './pg-loader.js';

/** Refuses a schema that is not at this build's version (newer: upgrade Tollgate; older: run `tollgate db migrate`). */
export async function assertSchemaCurrent(pool: PgPool, schema: string): Promise<void> {
  const v = await schemaVersion(pool, schema);
  if (v > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(v, LATEST_SCHEMA_VERSION, schema);
  if (v < LATEST_SCHEMA_VERSION) throw new TollgateError('db_schema_old', `PostgreSQL schema "${schema}" is at version ${v}, expected ${LATEST_SCHEMA_VERSION}; run \`tollgate db migrate\``, { found: v, schema });
}
