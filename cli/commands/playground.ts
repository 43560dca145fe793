import type { Command } from 'commander';
import { untilSignal } from '../until-signal.js';
import { loadPolicy } from '../../index.js';
import { DEFAULT_PLAYGROUND_PORT, readLogViewsFromStore, startPlayground } from '../../playground/server/index.js';
import { withQueries } from './db-options.js';
import { CliUsageError, type CliIo } from '../io.js';

interface PlaygroundCliOptions {
  port: string;
  host: string;
  log?: string;
  policy?: string;
  db?: string;
  dbSchema: string;
}

/**
 * `tollgate playground`: the web UI (policy editor, traces, simulations, views) on 127.0.0.1.
 * Prints one `playground at URL` line, then runs until SIGINT/SIGTERM.
 */
export function registerPlayground(program: Command, io: CliIo): void {
  program
    .command('playground')
    .description('Open the web playground: edit policies, load traces, simulate and compare costs.')
    .option('--port <n>', 'port to listen on (0: any free port)', String(DEFAULT_PLAYGROUND_PORT))
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--log <file>', 'an existing decision log (JSONL) for the executive, on-call and debug views')
    .option('--db <url>', 'instead of --log: the PostgreSQL decision store (postgres://…), read as SQL aggregations')
    .option('--db-schema <name>', 'PostgreSQL schema of the decision store', 'tollgate')
    .option('--policy <file>', "policy whose tenant budgets give the log's burn rates")
    .addHelpText('after', '\nExample:\n  $ npm run build:playground\n  $ tollgate playground --port 5178 --log tollgate-decisions.jsonl')
    .action(async (opts: PlaygroundCliOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliUsageError(`--port must be an integer 0-65535, got "${opts.port}"`);
      const tenants = opts.policy ? (await loadPolicy(opts.policy)).policy.tenants : undefined;
      if (opts.log && opts.db) throw new CliUsageError('give either --log or --db, not both');
      const logViews = opts.db ? await withQueries({ db: opts.db, dbSchema: opts.dbSchema }, (q) => readLogViewsFromStore(q, tenants)) : undefined;
      const server = await startPlayground({ host: opts.host, port, logFile: opts.log, logViews, logTenants: tenants });
      if (!server.pageBuilt) io.err('warning: the playground page is not built: run npm run build:playground (the API works meanwhile)\n');
      io.out(`tollgate playground at ${server.url}${opts.log ? ` (decision log ${opts.log})` : opts.db ? ` (decision store ${logViews!.file})` : ''}\n`);
      await untilSignal();
      await server.close();
      io.out('tollgate playground stopped\n');
    });
}
