import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where the PostgreSQL tests connect; a real server must answer there (the tests fail, never skip, without one). */
export const TEST_PG_URL = process.env.TOLLGATE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema name per test file (dropped by {@link dropSchema}). */
export function testSchema(label = 'tg'): string {
  return `${label}_${randomBytes(5).toString('hex')}`;
}

/** Connects or throws an error that says plainly that PostgreSQL is required and how to start it. */
export async function connectTestPg(): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: TEST_PG_URL, max: 3, connectionTimeoutMillis: 3000 });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is required for this test and is not reachable at ${TEST_PG_URL} (${(err as Error).message}). ` +
        'Start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or set TOLLGATE_PG_URL.',
    );
  }
  return pool;
}

export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
