import type { Command } from 'commander';
import { PostgresDecisionQueries, type DecisionQueries } from '../../offline/reporting/index.js';
import { CliUsageError } from '../io.js';

export const DEFAULT_DB_SCHEMA = 'tollgate';

export interface DbOptions {
  db?: string;
  dbSchema: string;
}

/** `--db URL` and `--db-schema NAME` on a command that can read the PostgreSQL decision store. */
export function withDbOptions(cmd: Command, what = 'read the decision store in PostgreSQL instead of a JSONL log'): Command {
  return cmd
    .option('--db <url>', `${what} (postgres://user@host:5432/db)`)
    .option('--db-schema <name>', 'PostgreSQL schema of the decision store', DEFAULT_DB_SCHEMA);
}

/** Exactly one of `--log` and `--db`. */
export function logOrDb(o: { log?: string; db?: string }): 'log' | 'db' {
  if (o.log && o.db) throw new CliUsageError('give either --log or --db, not both');
  if (!o.log && !o.db) throw new CliUsageError('give --log FILE (JSONL decision log) or --db URL (PostgreSQL decision store)');
  return o.db ? 'db' : 'log';
}

/** Opens the store's queries, runs `work`, closes. Connection and schema errors are one-line TollgateErrors. */
export async function withQueries<T>(o: DbOptions, work: (q: DecisionQueries) => Promise<T>): Promise<T> {
  const q = await PostgresDecisionQueries.open(o.db!, o.dbSchema);
  try {
    return await work(q);
  } finally {
    await q.close();
  }
}
