import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { migrate, openPool, PostgresDecisionSink, redactUrl } from '../../adapters/postgres/index.js';
import { readDecisionLog } from '../../offline/reporting/index.js';
import { readFeedback, type DecisionRecord } from '../../index.js';
import { int } from '../format-table.js';
import { CliUsageError, type CliIo } from '../io.js';
import { DEFAULT_DB_SCHEMA } from './db-options.js';

interface DbCommandOptions {
  db: string;
  dbSchema: string;
}

/** Records sent to the sink before waiting for their commits (bounds memory on a large import). */
const IMPORT_WINDOW = 5_000;

/**
 * `tollgate db migrate` applies the PostgreSQL decision store's schema migrations (the gateway also
 * does on start); `tollgate db import FILE` loads an existing JSONL decision log into it (idempotent:
 * records already there, by request id and day, are skipped; feedback lines too).
 */
export function registerDb(program: Command, io: CliIo): void {
  const db = program.command('db').description('PostgreSQL decision store: migrate the schema, import a JSONL decision log.');
  db.command('migrate')
    .description('Apply the schema migrations to the PostgreSQL decision store (refuses a schema newer than this Tollgate).')
    .requiredOption('--db <url>', 'postgres://user@host:5432/db')
    .option('--db-schema <name>', 'schema of the decision store', DEFAULT_DB_SCHEMA)
    .addHelpText('after', '\nExample:\n  $ tollgate db migrate --db postgres://tollgate@db:5432/tollgate')
    .action(async (o: DbCommandOptions) => {
      const pool = await openPool(o.db, { max: 1, applicationName: 'tollgate-migrate' });
      try {
        const r = await migrate(pool, o.dbSchema);
        io.out(r.applied.length ? `schema ${r.schema}: migrated ${r.from} → ${r.to} (applied ${r.applied.join(', ')}) at ${redactUrl(o.db)}\n` : `schema ${r.schema}: at version ${r.to}, nothing to apply\n`);
      } finally {
        await pool.end();
      }
    });
  db.command('import')
    .description('Load a JSONL decision log into the PostgreSQL decision store (migrates first; already-present records are skipped).')
    .argument('<file>', 'decision log (JSONL)')
    .requiredOption('--db <url>', 'postgres://user@host:5432/db')
    .option('--db-schema <name>', 'schema of the decision store', DEFAULT_DB_SCHEMA)
    .addHelpText('after', '\nExample:\n  $ tollgate db import tollgate-decisions.jsonl --db postgres://tollgate@db:5432/tollgate')
    .action(async (file: string, o: DbCommandOptions) => {
      if (!existsSync(file)) throw new CliUsageError(`decision log not found: ${file}`);
      const sink = await PostgresDecisionSink.open({ url: o.db, schema: o.dbSchema, applicationName: 'tollgate-import' });
      let records = 0;
      let feedback = 0;
      let skipped = 0;
      try {
        let window: Promise<void>[] = [];
        for await (const r of readDecisionLog(file, { skipInvalid: true, onIssue: (i) => (skipped++, io.err(`warning: ${file}:${i.line}: skipped ${i.torn ? 'torn last line' : 'invalid line'} (${i.reason})\n`)) })) {
          window.push(sink.append(r));
          records++;
          if (window.length >= IMPORT_WINDOW) {
            await Promise.all(window);
            window = [];
          }
        }
        for await (const f of readFeedback(file)) {
          window.push(sink.append(f as unknown as DecisionRecord));
          feedback++;
        }
        await Promise.all(window);
      } finally {
        await sink.close();
      }
      io.out(`imported ${int(records)} records and ${int(feedback)} feedback lines from ${file} into schema ${o.dbSchema}${skipped ? ` (${int(skipped)} lines skipped)` : ''}\n`);
    });
}
