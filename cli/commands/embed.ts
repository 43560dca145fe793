import { existsSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { createEmbedder, LanceDbStore } from '../../embeddings/index.js';
import { enqueueEmbedJob, startEmbedWorker, waitForQueueDrained } from '../../embeddings/index.js';
import { runEmbedJob, embedJobRecords, DEFAULT_CPU_HOURLY_USD, DEFAULT_GPU_HOURLY_USD, DEFAULT_VENDOR_EMBEDDING_MODEL, type VendorEmbeddingPrice } from '../../embeddings/index.js';
import type { ExecutionProvider } from '../../embeddings/index.js';
import { countTokens, GenaiPricesCatalog, JsonlDecisionSink, modelSchema, type Encoding } from '../../index.js';
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
  costPerHour?: string;
  gpuHourlyUsd: string;
  cpuHourlyUsd: string;
  compare: string;
  decisionLog?: string;
  queue?: string;
  chunk: string;
  json?: boolean;
}

const int = (v: string, name: string, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliUsageError(`${name} must be an integer ≥ ${min} (got "${v}")`);
  return n;
};

const usd = (v: string, name: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new CliUsageError(`${name} must be a non-negative number of USD (got "${v}")`);
  return n;
};

/**
 * The catalog's input price of a vendor embedding model (`provider/model`), and its tokenizer: OpenAI's
 * embedding models count with cl100k_base; others are estimated (o200k_base × the estimate factor).
 */
function vendorPrice(ref: string): VendorEmbeddingPrice {
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1) throw new CliUsageError(`--compare must be provider/model, e.g. ${DEFAULT_VENDOR_EMBEDDING_MODEL} (got "${ref}")`);
  const provider = ref.slice(0, slash);
  const model = ref.slice(slash + 1);
  let inputPerMillionMicros: number;
  try {
    const spec = modelSchema.parse({ id: 'compare', tier: 'vendor', adapter: 'openai-compatible', operation: 'embeddings', catalog: { provider, model }, contextWindow: 8191 });
    inputPerMillionMicros = new GenaiPricesCatalog().priceFor(spec).inputPerM;
  } catch (error) {
    throw new CliUsageError(`--compare ${ref}: ${(error as Error).message}`);
  }
  const encoding: Encoding = provider === 'openai' ? 'cl100k_base' : 'estimate';
  return { model: ref, inputPerMillionMicros, countTokens: (t) => countTokens(t, encoding) };
}

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
    .option('--device <auto|cpu|cuda|webgpu>', 'onnxruntime execution provider (auto: CUDA when present, CPU otherwise)', 'auto')
    .option('--allow-cpu-fallback', 'fall back to CPU when the device is unavailable')
    .option('--near-dup <cosine>', 'also drop near-duplicates at or above this cosine (e.g. 0.98)')
    .option('--gpu-hourly-usd <usd>', 'price of one GPU-hour, for the job\'s infra cost on cuda/webgpu', String(DEFAULT_GPU_HOURLY_USD))
    .option('--cpu-hourly-usd <usd>', 'price of one vCPU-hour, for the job\'s infra cost on CPU (billed by process CPU time)', String(DEFAULT_CPU_HOURLY_USD))
    .option('--compare <provider/model>', 'vendor embedding model whose catalog price the job is compared with', DEFAULT_VENDOR_EMBEDDING_MODEL)
    .option('--decision-log <file>', 'append the job\'s ledger lines (one decision record per tenant, operation "embeddings") to this JSONL log')
    .option('--cost-per-hour <usd>', 'device $/hour for dedup savings and device cost per 1M tokens (default: the device\'s hourly price above)')
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
      if (!['auto', 'cpu', 'cuda', 'webgpu'].includes(f.device)) throw new CliUsageError(`--device must be auto, cpu, cuda or webgpu (got "${f.device}")`);
      const prices = { gpuHourlyUsd: usd(f.gpuHourlyUsd, '--gpu-hourly-usd'), cpuHourlyUsd: usd(f.cpuHourlyUsd, '--cpu-hourly-usd') };
      const compare = vendorPrice(f.compare);
      const auto = f.device === 'auto';
      const embedder = await createEmbedder({ executionProvider: (auto ? 'cuda' : f.device) as ExecutionProvider, allowCpuFallback: auto || !!f.allowCpuFallback });
      const onGpu = embedder.executionProvider !== 'cpu';
      const usdPerHour = f.costPerHour === undefined ? (onGpu ? prices.gpuHourlyUsd : prices.cpuHourlyUsd) : usd(f.costPerHour, '--cost-per-hour');
      const store = await LanceDbStore.open({ dir: f.db, modelVersion: embedder.modelVersion, dimension: embedder.dimension });
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
        cost: { device: onGpu ? 'gpu' : 'cpu', costPerHourMicros: Math.round(usdPerHour * 1e6) },
        prices,
        compare,
        stateFile: `${f.db.replace(/[\\/]+$/, '')}.embed-job.json`,
        onProgress: (p) => {
          if (!bar) return;
          if (!started) bar.start(Math.ceil(p.totalBytes / 1024), 0, { rate: 0 });
          started = true;
          bar.update(Math.ceil(p.bytesRead / 1024), { rate: Math.round(p.textsPerSecond) });
        },
      });
      bar?.stop();
      const records = embedJobRecords({ compute: stats.compute, byTenant: stats.byTenant, modelId: stats.modelId, modelVersion: stats.modelVersion, finishedAt: Date.now() });
      if (f.decisionLog) {
        const sink = new JsonlDecisionSink(f.decisionLog, { durability: 'fsync' });
        for (const r of records) await sink.append(r);
        await sink.close();
      }
      if (f.json) {
        io.out(`${JSON.stringify({ ...stats, ledger: { file: f.decisionLog ?? null, records: records.length } })}\n`);
        return;
      }
      const c = stats.compute;
      const usdOf = (micros: number) => `$${(micros / 1e6).toFixed(6)}`;
      const d = stats.dedup;
      const j = stats.job;
      io.out(
        [
          `job ${j.state}: ${j.chunks.done}/${j.chunks.total ?? j.chunks.done} chunks, ${j.chunks.failedAttempts} failed attempts, ${j.chunks.retries} retries${j.resumedFrom ? ` (previous run: ${j.resumedFrom.state} after ${j.resumedFrom.chunksDone} chunks)` : ''}`,
          `texts ${stats.texts}, embedded ${stats.embedded}, stored ${stats.stored}, truncated ${stats.truncated}`,
          `throughput ${stats.textsPerSecond.toFixed(0)} texts/s, ${stats.tokensPerSecond.toFixed(0)} tokens/s (${stats.wallSeconds.toFixed(1)} s)`,
          `compute on ${c.executionProvider}${c.fallbackReason ? ` (fallback: ${c.fallbackReason.replace(/\s*Pass allowCpuFallback.*$/, '')})` : ''}: wall ${c.wallSeconds.toFixed(2)} s, CPU ${c.cpuSeconds.toFixed(2)} s, GPU ${c.gpuSeconds.toFixed(2)} s; billed ${c.billedSeconds.toFixed(2)} ${c.device === 'gpu' ? 'GPU' : 'vCPU'}-s at $${c.hourlyUsd}/h = ${usdOf(c.infraCostMicros)}`,
          `infra cost per 1M embedded tokens ${usdOf(c.infraCostPerMillionTokensMicros)} (${c.embeddedTokens} tokens)${c.vendor ? `; at ${c.vendor.model} ($${(c.vendor.inputPerMillionMicros / 1e6).toFixed(4)}/1M) the same texts: ${usdOf(c.vendor.costMicros)}, ${usdOf(c.vendor.costPerMillionTokensMicros)} per 1M embedded tokens` : ''}`,
          `device-hours per 1M tokens ${stats.deviceHoursPerMillionTokens.toFixed(6)}, cost per 1M tokens $${(stats.costPerMillionTokensMicros / 1e6).toFixed(6)}`,
          ...(f.decisionLog ? [`ledger: ${records.length} record(s) (operation embeddings) → ${f.decisionLog}`] : []),
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
