import type * as Pg from 'pg';
import { TollgateError } from '../../engine/errors.js';
import { importOptional } from '../../engine/optional-dependency.js';
import { DatabaseUnavailableError } from './errors.js';

export type PgModule = typeof Pg;
export type PgPool = Pg.Pool;
export type PgClient = Pg.PoolClient;

let loading: Promise<PgModule> | undefined;

/** Loads `pg` on first use (an optional peer dependency: the root `tollgate` entry never loads it). */
export function loadPg(): Promise<PgModule> {
  // Not installed: OptionalDependencyMissingError (optional_dependency_missing) naming `npm install pg`.
  loading ??= importOptional('pg', 'The PostgreSQL adapter', () => import('pg'))
    .then((m) => ((m as unknown as { default?: PgModule }).default ?? m) as PgModule)
    .catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
  return loading;
}

export interface PoolOptions {
  /** Connections in the pool (default 4). */
  max?: number;
  /** How long to wait for a connection before failing (default 5 s). */
  connectTimeoutMs?: number;
  applicationName?: string;
  /** The session's `synchronous_commit` (server default when absent); `off`: a COMMIT returns before its WAL is flushed. */
  synchronousCommit?: 'on' | 'off';
}

/**
 * Opens a pool and checks it with one round trip, so a wrong or unreachable URL fails here with one
 * {@link DatabaseUnavailableError} line instead of at the first request.
 */
export async function openPool(url: string, options: PoolOptions = {}): Promise<PgPool> {
  const pg = await loadPg();
  let pool: PgPool;
  try {
    pool = new pg.Pool({ connectionString: url, max: options.max ?? 4, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000, application_name: options.applicationName ?? 'tollgate', ...(options.synchronousCommit ? { options: `-c synchronous_commit=${options.synchronousCommit}` } : {}) });
  } catch (err) {
    throw new DatabaseUnavailableError(url, err);
  }
  pool.on('error', () => undefined); // an idle client's connection dropped: the pool replaces it
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnavailableError(url, err);
  }
  return pool;
}

/** Quotes an SQL identifier (schema names come from options). */
export function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new TollgateError('invalid_request', `Invalid PostgreSQL schema name "${name}"`, { name });
  return `"${name}"`;
}

/** Errors worth retrying on a fresh connection: the connection dropped, the server restarts, a deadlock. */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  if (/^(08|57P0)/.test(code) || code === '40P01' || code === '40001' || code === '53300') return true;
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  const msg = (err as Error)?.message ?? '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(msg);
}
