import { existsSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { createEmbedder, LanceDbStore } from '../../embeddings/index.js';
import { enqueueEmbedJob, startEmbedWorker, waitForQueueDrained } from '../../embeddings/index.js';
import { runEmbedJob } from '../../embeddings/index.js';
import type { ExecutionProvider } from '../../embeddings/index.js';
import { CliUsageError, type CliIo } from '../io.js';
import { untilSignal } from '../until-signal.js';

interface EmbedFlags {
  input: string;
  db?: string;
  table: string;
  tenant: string;
  batch: string;
  device: string;
  allowCpuFallback?: boolean;
  nearDup?: string;
  costPerHour: string;
  queue?: string;
  chunk: string;
  json?: boolean;
}

const int = (v: string, name: string, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliUsageError(`${name} must be an integer ≥ ${min} (got "${v}")`);
  return n;
};

/** `tollgate embed` (one process, or enqueue with --queue) and `tollgate worker` (distributed mode). */
export function registerEmbed(program: Command, io: CliIo): void {
  program
    .command('embed')
    .description('Embed a JSONL file ({"text", "id"?, "tenant"?, "namespace"?} per line) into LanceDB, deduplicated and resumable.')
    .requiredOption('--input <file>', 'JSONL input')
    .option('--db <dir>', 'LanceDB directory (required unless --queue)')
    .option('--table <name>', 'namespace (one table per namespace and model version)', 'default')
    .option('--tenant <id>', 'tenant for lines without one', 'default')
    .option('--batch <n>', 'texts per batch', '64')
    .option('--device <cpu|cuda|webgpu>', 'onnxruntime execution provider', 'cpu')
    .option('--allow-cpu-fallback', 'fall back to CPU when the device is unavailable')
    .option('--near-dup <cosine>', 'also drop near-duplicates at or above this cosine (e.g. 0.98)')
    .option('--cost-per-hour <usd>', 'device $/hour, for dedup savings and cost per 1M tokens', '0')
    .option('--queue <redis-url>', 'enqueue chunks on BullMQ (redis://host:port) for `tollgate worker` instead of embedding here')
    .option('--chunk <n>', 'texts per queued chunk (with --queue)', '512')
    .option('--json', 'print the final stats as JSON')
    .addHelpText('after', '\nExamples:\n  $ tollgate embed --input docs.jsonl --db .tollgate/vectors --table docs\n  $ tollgate embed --input docs.jsonl --queue redis://127.0.0.1:6379 && tollgate worker --queue redis://127.0.0.1:6379 --db .tollgate/vectors')
    .action(async (f: EmbedFlags) => {
      if (!existsSync(f.input)) throw new CliUsageError(`input not found: ${f.input}`);
      if (f.queue) {
        const r = await enqueueEmbedJob({ redisUrl: f.queue, input: f.input, chunkSize: int(f.chunk, '--chunk'), namespace: f.table, tenant: f.tenant });
        io.out(f.json ? `${JSON.stringify(r)}\n` : `enqueued ${r.chunks} chunks (${r.texts} texts, ${r.exactDuplicates} exact duplicates dropped) as run ${r.runId}: ${r.job.state}\n`);
        return;
      }
      if (!f.db) throw new CliUsageError('--db <dir> is required (or use --queue)');
      const embedder = await createEmbedder({ executionProvider: f.device as ExecutionProvider, allowCpuFallback: !!f.allowCpuFallback });
      const store = await LanceDbStore.open({ dir: f.db, modelVersion: embedder.modelVersion, dimension: embedder.dimension });
      const usdPerHour = Number(f.costPerHour);
      if (!Number.isFinite(usdPerHour) || usdPerHour < 0) throw new CliUsageError(`--cost-per-hour must be a non-negative number (got "${f.costPerHour}")`);
      const bar = io.isTty ? new cliProgress.SingleBar({ format: 'embedding [{bar}] {percentage}% | {value}/{total} KiB | {rate} texts/s | ETA {eta_formatted}', stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
      let started = false;
      const stats = await runEmbedJob({
        input: f.input,
        embedder,
        store,
        namespace: f.table,
        tenant: f.tenant,
        batchSize: int(f.batch, '--batch'),
        nearDuplicateThreshold: f.nearDup === undefined ? undefined : Number(f.nearDup),
        cost: { device: f.device === 'cpu' ? 'cpu' : 'gpu', costPerHourMicros: Math.round(usdPerHour * 1e6) },
        stateFile: `${f.db.replace(/[\\/]+$/, '')}.embed-job.json`,
        onProgress: (p) => {
          if (!bar) return;
          if (!started) bar.start(Math.ceil(p.totalBytes / 1024), 0, { rate: 0 });
          started = true;
          bar.update(Math.ceil(p.bytesRead / 1024), { rate: Math.round(p.textsPerSecond) });
        },
      });
      bar?.stop();
      if (f.json) {
        io.out(`${JSON.stringify(stats)}\n`);
        return;
      }
      const d = stats.dedup;
      const j = stats.job;
      io.out(
        [
          `job ${j.state}: ${j.chunks.done}/${j.chunks.total ?? j.chunks.done} chunks, ${j.chunks.failedAttempts} failed attempts, ${j.chunks.retries} retries${j.resumedFrom ? ` (previous run: ${j.resumedFrom.state} after ${j.resumedFrom.chunksDone} chunks)` : ''}`,
          `texts ${stats.texts}, embedded ${stats.embedded}, stored ${stats.stored}, truncated ${stats.truncated}`,
          `throughput ${stats.textsPerSecond.toFixed(0)} texts/s, ${stats.tokensPerSecond.toFixed(0)} tokens/s (${stats.wallSeconds.toFixed(1)} s)`,
          `device-hours per 1M tokens ${stats.deviceHoursPerMillionTokens.toFixed(6)}, cost per 1M tokens $${(stats.costPerMillionTokensMicros / 1e6).toFixed(6)}`,
          `dedup: ${d.exactDuplicates} exact repeats, ${d.alreadyStored} already stored, ${d.nearDuplicates} near-duplicates; saved ${d.textsSaved} texts, ${d.tokensSaved} tokens, ${d.embeddingSecondsSaved.toFixed(2)} embedding-s ($${(d.moneySavedMicros / 1e6).toFixed(6)})`,
          `model ${stats.modelId}@${stats.modelVersion} → ${f.db} (table ${f.table})`,
        ].join('\n') + '\n',
      );
    });

  program
    .command('worker')
    .description('Process embedding chunks from a BullMQ queue into LanceDB (distributed `tollgate embed --queue`).')
    .requiredOption('--queue <redis-url>', 'redis://host:port')
    .requiredOption('--db <dir>', 'LanceDB directory')
    .option('--concurrency <n>', 'chunks at once', '1')
    .option('--exit-when-drained', 'stop once the queue is empty')
    .addHelpText('after', '\nExample:\n  $ tollgate worker --queue redis://127.0.0.1:6379 --db .tollgate/vectors --exit-when-drained')
    .action(async (f: { queue: string; db: string; concurrency: string; exitWhenDrained?: boolean }) => {
      const embedder = await createEmbedder();
      const store = await LanceDbStore.open({ dir: f.db, modelVersion: embedder.modelVersion, dimension: embedder.dimension });
      const handle = await startEmbedWorker({ redisUrl: f.queue, embedder, store, concurrency: int(f.concurrency, '--concurrency') });
      io.err(`worker on ${f.queue} → ${f.db}\n`);
      if (f.exitWhenDrained) {
        await waitForQueueDrained({ redisUrl: f.queue });
      } else {
        await untilSignal();
      }
      await handle.close();
      const t = handle.totals();
      io.out(`${JSON.stringify(t)}\n`);
    });
}
