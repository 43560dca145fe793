import type { Command } from 'commander';
import { bundled } from '../bundled.js';
import { untilSignal } from '../until-signal.js';
import { createTollgate, JsonlDecisionSink, DEFAULT_DURABILITY, DURABILITY_MODES, type Durability, repairTornTail } from '../../index.js';
import { TollgateMetrics } from '../../adapters/observers/index.js';
import { loadPolicy } from '../../index.js';
import { KeyStore } from '../../gateway/index.js';
import { DEFAULT_BODY_LIMIT, DEFAULT_FILES_LIMIT, exitWorker, isClusterWorker, reportListening, runPrimary, startGateway } from '../../gateway/index.js';
import { CliUsageError, type CliIo } from '../io.js';
import { PostgresDecisionSink, redactUrl } from '../../adapters/postgres/index.js';
import { createRedisClient } from '../../adapters/redis/index.js';
import { DEFAULT_DB_SCHEMA } from './db-options.js';
import { DEFAULT_BATCH_MAX_AGE, DEFAULT_BATCH_MAX_SIZE, DEFAULT_BATCH_POLL, serveDeferredOptions, type ServeDeferredFlags } from './serve-deferred.js';

export const DEFAULT_KEYS_FILE = 'tollgate-keys.json';
export const DEFAULT_LOG_FILE = 'tollgate-decisions.jsonl';

interface ServeOptions extends ServeDeferredFlags {
  policy: string;
  port: string;
  host: string;
  keys: string;
  log: string;
  bodyLimit: string;
  redis?: string;
  redisPrefix: string;
  cacheTtl: string;
  db?: string;
  dbSchema: string;
  durability: string;
  workers: string;
  filesLimit: string;
}

/**
 * `tollgate serve`: the OpenAI-compatible gateway. Runs until SIGINT/SIGTERM, then stops accepting
 * requests, finishes in-flight ones and flushes the decision log. Prints one `listening on URL` line.
 */
export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('Run the OpenAI-compatible HTTP gateway (POST /v1/chat/completions, GET /v1/models, /metrics, /healthz).')
    .requiredOption('--policy <file>', 'policy file (.yaml, .json or .ts)')
    .option('--port <n>', 'port to listen on (0: any free port)', '8787')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--keys <file>', 'API key file (SHA-256 hashes; see `tollgate keys add`)', DEFAULT_KEYS_FILE)
    .option('--log <file>', 'decision log (JSONL; see --durability)', DEFAULT_LOG_FILE)
    .option('--durability <mode>', `when an answer may go out: fsync (after fdatasync: survives power loss), write (after write(2): survives a crash of the process; fdatasync at most every 100 ms), none (benchmarks only); PostgreSQL: fsync = synchronous_commit on, else off`, DEFAULT_DURABILITY)
    .option('--workers <n>', 'worker processes behind the one port (node:cluster); without --redis each keeps its own budgets and limits (docs/gateway.md)', '1')
    .option('--body-limit <bytes>', 'largest request body accepted (413 above)', String(DEFAULT_BODY_LIMIT))
    .option('--files-limit <bytes>', 'largest POST /v1/files upload (batch input JSONL; 413 above); files and batches are kept in <log>.batches/', String(DEFAULT_FILES_LIMIT))
    .option('--redis <url>', 'share budgets, rate limits and the exact cache with other replicas through Redis (redis://host:6379)')
    .option('--redis-prefix <p>', 'prefix of every Redis key this fleet writes', 'tollgate:')
    .option('--cache-ttl <seconds>', 'exact response cache on Redis with single flight across replicas (needs --redis; 0: off)', '0')
    .option('--db <url>', 'decision log in PostgreSQL instead of JSONL (postgres://…; migrated on start; answer after commit)')
    .option('--db-schema <name>', 'PostgreSQL schema of the decision store', DEFAULT_DB_SCHEMA)
    .option('--deferred', 'deferrable work (header Tollgate-Deferrable, rules with action defer, client batch lines) goes to the vendors\' batch APIs at their batch price; jobs are kept in <log>.deferred/ and resumed after a restart (off: such requests are refused with batch_unsupported and client batches run now at list price)')
    .option('--batch-max-size <n>', 'with --deferred: submit a vendor batch once it holds this many requests', DEFAULT_BATCH_MAX_SIZE)
    .option('--batch-max-age <duration>', 'with --deferred: … or once its first request has waited this long (250ms, 30s, 5m, 1h)', DEFAULT_BATCH_MAX_AGE)
    .option('--batch-poll <duration>', 'with --deferred: how often vendor batches are submitted, polled and settled', DEFAULT_BATCH_POLL)
    .addHelpText('after', '\nExample:\n  $ tollgate keys add acme --keys keys.json\n  $ tollgate serve --policy ' + bundled('policies/examples/cost-aware.ts') + ' --port 8787 --keys keys.json --log decisions.jsonl\n  # then point any OpenAI client at http://127.0.0.1:8787/v1 with the printed key\n  # a replica of a fleet (docs/deploy.md):\n  $ tollgate serve --policy policy.yaml --keys keys.json --redis redis://redis:6379 --db postgres://tollgate@db:5432/tollgate\n  # deferrable work through the vendors\' batch APIs (half price, answers within 24 h):\n  $ tollgate serve --policy policy.yaml --keys keys.json --log decisions.jsonl --deferred --batch-max-age 5m')
    .action(async (opts: ServeOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliUsageError(`--port must be an integer 0-65535, got "${opts.port}"`);
      const bodyLimit = Number(opts.bodyLimit);
      if (!Number.isInteger(bodyLimit) || bodyLimit <= 0) throw new CliUsageError(`--body-limit must be a positive integer, got "${opts.bodyLimit}"`);
      const filesLimit = Number(opts.filesLimit);
      if (!Number.isInteger(filesLimit) || filesLimit <= 0) throw new CliUsageError(`--files-limit must be a positive integer, got "${opts.filesLimit}"`);
      const loaded = await loadPolicy(opts.policy);
      const keys = new KeyStore(opts.keys);
      if (keys.size === 0 && !isClusterWorker()) io.err(`warning: no API keys in ${opts.keys}; add one with \`tollgate keys add TENANT --keys ${opts.keys}\`\n`);
      const cacheTtl = Number(opts.cacheTtl);
      if (!Number.isFinite(cacheTtl) || cacheTtl < 0) throw new CliUsageError(`--cache-ttl must be a number of seconds >= 0, got "${opts.cacheTtl}"`);
      if (cacheTtl > 0 && !opts.redis) throw new CliUsageError('--cache-ttl needs --redis (the exact cache lives in Redis)');
      if (!DURABILITY_MODES.includes(opts.durability as Durability)) throw new CliUsageError(`--durability must be one of ${DURABILITY_MODES.join(', ')}, got "${opts.durability}"`);
      const durability = opts.durability as Durability;
      const workers = Number(opts.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new CliUsageError(`--workers must be an integer 1-256, got "${opts.workers}"`);
      const worker = isClusterWorker();
      const deferred = await serveDeferredOptions(opts, loaded, { log: opts.log, jsonlLog: !opts.db, workers, note: (line) => io.err(`${line}\n`) });
      if (!worker && durability === 'none') io.err('WARNING: --durability none: answers go out before their decision record is written; a crash loses records. FOR BENCHMARKS ONLY, never in production.\n');
      if (workers > 1 && !worker) {
        if (!opts.redis) io.err(`note: ${workers} workers without --redis: budgets, rate limits, idempotency, loop detection, breakers and guard state are per worker (docs/gateway.md, "Workers")\n`);
        await runPrimary({
          workers,
          beforeFork: () => (opts.db ? Promise.resolve() : repairTornTail(opts.log)),
          onListening: (url) => io.out(`tollgate gateway listening on ${url} (${workers} workers, policy ${loaded.policy.name} ${loaded.version}, ${keys.size} keys, log ${opts.db ? `${redactUrl(opts.db)} schema ${opts.dbSchema}` : opts.log}, durability ${durability}${opts.redis ? `, shared state ${redactUrl(opts.redis)} prefix ${opts.redisPrefix}` : ''})\n`),
          onWorkerExit: (m) => io.err(`${m}\n`),
          untilStop: untilSignal,
        });
        io.out('tollgate gateway stopped\n');
        return;
      }
      const metrics = new TollgateMetrics({ policy: loaded.policy });
      const sink = opts.db ? await PostgresDecisionSink.open({ url: opts.db, schema: opts.dbSchema, applicationName: 'tollgate-gateway', durability }) : undefined;
      const redis = opts.redis ? await createRedisClient(opts.redis) : undefined;
      const tollgate = createTollgate({
        policy: loaded,
        decisionLog: sink ?? (worker ? new JsonlDecisionSink(opts.log, { durability, skipRepair: true }) : opts.log),
        durability,
        metrics,
        redis: redis && { client: redis, keyPrefix: opts.redisPrefix, cache: cacheTtl > 0 ? { ttlMs: cacheTtl * 1000 } : undefined },
        deferred,
      });
      const gw = await startGateway({ tollgate, tenantForKey: (k) => keys.tenantFor(k), isAdminKey: (k) => keys.isAdmin(k), host: opts.host, port, bodyLimit, metrics, batches: { dir: opts.db ? undefined : `${opts.log}.batches`, filesLimit, defer: deferred !== undefined } });
      if (worker) reportListening(gw.url);
      else io.out(`tollgate gateway listening on ${gw.url} (policy ${loaded.policy.name} ${loaded.version}, ${keys.size} keys, log ${opts.db ? `${redactUrl(opts.db)} schema ${opts.dbSchema}` : opts.log}, durability ${durability}${opts.redis ? `, shared state ${redactUrl(opts.redis)} prefix ${opts.redisPrefix}` : ''}${deferred ? `, deferred ${Object.keys(deferred.clients).join('+')} batches` : ''})\n`);
      await untilSignal();
      await gw.close();
      await redis?.quit().catch(() => undefined);
      if (worker) exitWorker();
      else io.out('tollgate gateway stopped\n');
    });
}
