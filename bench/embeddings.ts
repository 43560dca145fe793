/**
 * Embeddings bench: default embedder vs its teacher (texts/s at batch 64), OnnxEmbedder overhead vs raw
 * `InferenceSession.run`, LanceDB upsert rows/s and filtered top-10 query p50, MRPC quality (model vs teacher).
 * Standalone: `npx jiti bench/embeddings.ts` (or `node dist/bench/embeddings.js`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LanceDbStore, OnnxEmbedder, defaultModelDir, contentHash, type VectorRecord } from '../embeddings/index.js';
import { loadTeacher, TEACHER_DIMENSION, type Teacher } from '../embeddings/index.js';
import { packageRoot } from '../index.js';
import { cosine, loadMrpc, mrpcPath, scoreMrpc, type MrpcPair, type MrpcScore } from './embeddings-mrpc.js';
import { printTable, summarize, timeAsync, writeResult } from './stats.js';

const BATCH = 64;

/** Realistic sentences: MRPC's when ../shared is present, else generated ones of similar length. */
function benchTexts(pairs: MrpcPair[] | undefined, n: number): string[] {
  if (pairs) return pairs.slice(0, n / 2).flatMap((p) => [p.text1, p.text2]);
  const words = 'the a market company said on Tuesday shares rose percent to in of and its quarter profit after report analysts expected'.split(' ');
  return Array.from({ length: n }, (_, i) => Array.from({ length: 18 + (i % 9) }, (_, k) => words[(i * 7 + k * 13) % words.length]).join(' ') + '.');
}

async function textsPerSecond(texts: string[], embedBatch: (batch: string[]) => Promise<unknown>): Promise<number> {
  await embedBatch(texts.slice(0, BATCH));
  const started = performance.now();
  for (let i = 0; i < texts.length; i += BATCH) await embedBatch(texts.slice(i, i + BATCH));
  return texts.length / ((performance.now() - started) / 1000);
}

/** Interleaves raw run / wrapper / embed() per batch so machine noise hits all three alike; compares medians. */
async function overhead(embedder: OnnxEmbedder, texts: string[]) {
  const batches: number[][][] = [];
  for (let i = 0; i < texts.length; i += BATCH) batches.push(texts.slice(i, i + BATCH).map((t) => embedder.encode(t).ids));
  const feeds = batches.map((rows) => embedder.feeds(rows));
  const out = embedder.session.outputNames;
  const raw: number[] = [], wrapped: number[] = [], endToEnd: number[] = [];
  const time = async (into: number[], fn: () => Promise<unknown>): Promise<void> => {
    const t = performance.now();
    await fn();
    into.push((performance.now() - t) * 1000);
  };
  for (let round = 0; round < 11; round++) {
    for (let b = 0; b < batches.length; b++) {
      const sink = round === 0 ? [] : undefined; // round 0 warms up
      await time(sink ?? raw, () => embedder.session.run(feeds[b], out));
      await time(sink ?? wrapped, () => embedder.embedTokenIds(batches[b]));
      await time(sink ?? endToEnd, () => embedder.embed(texts.slice(b * BATCH, (b + 1) * BATCH)));
    }
  }
  const [r, w, e] = [summarize(raw), summarize(wrapped), summarize(endToEnd)];
  const pct = (x: number, base: number): number => round(((x - base) / base) * 100);
  return {
    rawRunUs: r,
    embedTokenIdsUs: w,
    embedUs: e,
    wrapperOverheadPct: pct(w.p50, r.p50),
    wrapperOverheadMeanPct: pct(w.mean, r.mean),
    endToEndOverheadPct: pct(e.p50, r.p50),
    tokenisationShareOfEmbedPct: round(((e.p50 - w.p50) / e.p50) * 100),
  };
}

function randomUnit(seed: number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  let x = (seed * 2654435761) >>> 0;
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    v[i] = x / 2 ** 32 - 0.5;
    norm += v[i] * v[i];
  }
  for (let i = 0; i < dim; i++) v[i] /= Math.sqrt(norm);
  return v;
}

async function lancedbBench(dimension: number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-bench-lance-'));
  try {
    const store = await LanceDbStore.open({ dir, modelVersion: 'bench', dimension, annThreshold: Number.POSITIVE_INFINITY });
    const rows = 100_000;
    const chunk = 10_000;
    const records: VectorRecord[] = Array.from({ length: rows }, (_, i) => ({ tenant: `tenant-${i % 10}`, namespace: 'bench', hash: contentHash(`row ${i}`), vector: randomUnit(i, dimension), id: `r${i}` }));
    const started = performance.now();
    for (let i = 0; i < rows; i += chunk) await store.upsert(records.slice(i, i + chunk));
    const upsertRowsPerSecond = rows / ((performance.now() - started) / 1000);
    const reUpsertStarted = performance.now();
    const again = await store.upsert(records.slice(0, chunk));
    const idempotentReupsertRowsPerSecond = chunk / ((performance.now() - reUpsertStarted) / 1000);
    const query = (i: number) => store.search({ tenant: `tenant-${i % 10}`, namespace: 'bench', vector: randomUnit(rows + i, dimension), k: 10 });
    const flat = summarize(await timeAsync(100, 10, query));
    const indexStarted = performance.now();
    await store.buildAnnIndex('bench');
    const indexSeconds = (performance.now() - indexStarted) / 1000;
    const indexed = summarize(await timeAsync(200, 20, query));
    await store.close();
    return { rows, dimension, upsertRowsPerSecond: Math.round(upsertRowsPerSecond), idempotentReupsert: { inserted: again.inserted, rowsPerSecond: Math.round(idempotentReupsertRowsPerSecond) }, queryFlatUs: flat, annIndexBuildSeconds: round(indexSeconds), queryIndexedUs: indexed };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function teacherSimilarities(teacher: Teacher, pairs: MrpcPair[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < pairs.length; i += BATCH) {
    const batch = pairs.slice(i, i + BATCH);
    const a = await teacher.embedTexts(batch.map((p) => p.text1));
    const b = await teacher.embedTexts(batch.map((p) => p.text2));
    batch.forEach((_, k) => out.push(cosine(a.subarray(k * TEACHER_DIMENSION, (k + 1) * TEACHER_DIMENSION), b.subarray(k * TEACHER_DIMENSION, (k + 1) * TEACHER_DIMENSION))));
  }
  return out;
}

/** `options.quality: false` skips the MRPC evaluation (slow: the teacher embeds 11,602 texts). */
export async function runEmbeddingsBench(outDir: string, options: { quality?: boolean } = {}): Promise<Record<string, unknown>> {
  const pairs = loadMrpc(mrpcPath(packageRoot()));
  const embedder = await OnnxEmbedder.create({ modelDir: defaultModelDir(), batchSize: BATCH });
  const teacher = await loadTeacher();
  const texts = benchTexts(pairs, 640);
  const step = (what: string): void => console.log(`embeddings bench: ${what}…`);
  step('throughput');
  const modelTps = await textsPerSecond(texts, (b) => embedder.embed(b));
  const teacherTps = await textsPerSecond(texts, (b) => teacher.embedTexts(b));
  step('wrapper overhead');
  const wrapper = await overhead(embedder, texts);
  step('LanceDB upsert and query');
  const lancedb = await lancedbBench(embedder.dimension);

  let quality: { model: MrpcScore; teacher: MrpcScore; pairs: number; teacherAucRetainedPct: number } | { skipped: string };
  if (options.quality === false) quality = { skipped: 'quality evaluation not requested' };
  else if (!pairs) {
    quality = { skipped: `MRPC not found at ${mrpcPath(packageRoot())} (../shared absent): quality eval skipped` };
    console.log(quality.skipped);
  } else {
    step(`MRPC quality (${pairs.length} pairs; the teacher takes a few minutes)`);
    const a = await embedder.embed(pairs.map((p) => p.text1));
    const b = await embedder.embed(pairs.map((p) => p.text2));
    const model = scoreMrpc(pairs, a.map((v, i) => cosine(v, b[i])));
    const teacherScore = scoreMrpc(pairs, await teacherSimilarities(teacher, pairs));
    // Share of the teacher's above-chance AUC the student keeps.
    quality = { pairs: pairs.length, model, teacher: teacherScore, teacherAucRetainedPct: round(((model.rocAucTest - 0.5) / (teacherScore.rocAucTest - 0.5)) * 100) };
    printTable('embeddings: MRPC (threshold fit on MRPC-train, scored on MRPC-test)', [
      { model: embedder.modelId, rocAucTest: r4(model.rocAucTest), accuracyTest: r4(model.accuracyTest), threshold: r4(model.threshold), rocAucTrain: r4(model.rocAucTrain) },
      { model: 'teacher USE-lite', rocAucTest: r4(teacherScore.rocAucTest), accuracyTest: r4(teacherScore.accuracyTest), threshold: r4(teacherScore.threshold), rocAucTrain: r4(teacherScore.rocAucTrain) },
    ]);
  }

  printTable('embeddings: throughput and overhead', [
    { measure: `${embedder.modelId} texts/s (batch ${BATCH})`, value: Math.round(modelTps), target: '' },
    { measure: 'teacher USE-lite texts/s (batch 64)', value: Math.round(teacherTps), target: '' },
    { measure: 'speed-up vs teacher', value: `${round(modelTps / teacherTps)}×`, target: '' },
    { measure: 'wrapper overhead vs session.run, pre-tokenised (p50 / mean)', value: `${wrapper.wrapperOverheadPct}% / ${wrapper.wrapperOverheadMeanPct}%`, target: '≤ 33%' },
    { measure: 'embed() incl. tokenisation vs session.run (p50)', value: `${wrapper.endToEndOverheadPct}% (tokenising ${wrapper.tokenisationShareOfEmbedPct}% of embed)`, target: '' },
    { measure: `LanceDB upsert rows/s (${lancedb.dimension}-dim)`, value: lancedb.upsertRowsPerSecond, target: '≥ 20,000' },
    { measure: 'filtered top-10 query p50 µs (flat, 100k rows)', value: lancedb.queryFlatUs.p50, target: '' },
    { measure: 'filtered top-10 query p50 µs (IVF-PQ)', value: lancedb.queryIndexedUs.p50, target: '' },
  ]);
  const result = {
    model: { id: embedder.modelId, version: embedder.modelVersion, dimension: embedder.dimension },
    machine: { cpus: os.cpus().length, loadAverage1m: round(os.loadavg()[0]) },
    corpus: pairs ? 'MRPC sentences (640)' : 'generated sentences (640)',
    throughput: { modelTextsPerSecond: round(modelTps), teacherTextsPerSecond: round(teacherTps), speedup: round(modelTps / teacherTps) },
    overhead: wrapper,
    lancedb,
    quality,
  };
  writeResult(outDir, 'embeddings', result);
  return result;
}

const round = (x: number): number => Math.round(x * 100) / 100;
const r4 = (x: number): number => Math.round(x * 10000) / 10000;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runEmbeddingsBench(path.join(packageRoot(), 'bench', 'results'), { quality: !process.argv.includes('--no-quality') });
}
