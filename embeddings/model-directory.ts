/**
 * Reads a sentence-transformers-style model directory: `model.onnx` + `tokenizer.json`
 * (+ optional `tokenizer_config.json`, + optional Tollgate manifest `model.json` whose sha256 entries are verified).
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { installFastUnigram } from './fast-unigram.js';
import { EmbeddingModelError } from './errors.js';

/** Tollgate's `model.json` manifest (every field optional for third-party exports). */
export interface ModelManifest {
  id?: string;
  version?: string;
  dimension?: number;
  maxTokens?: number;
  output?: string;
  files?: Record<string, string>;
}

export interface ModelDirectory {
  dir: string;
  modelPath: string;
  modelBytes: Uint8Array;
  tokenizer: Tokenizer;
  /** Whether the tokenizer's Unigram step runs on {@link installFastUnigram}'s exact fast path. */
  fastTokenizer: boolean;
  manifest: ModelManifest;
  /** sha256 of model.onnx, hex. */
  modelSha256: string;
  /** `model_max_length` from tokenizer_config.json when it is a real limit. */
  configMaxTokens?: number;
}

async function readOrThrow(dir: string, file: string): Promise<Buffer> {
  try {
    return await readFile(path.join(dir, file));
  } catch (error) {
    throw new EmbeddingModelError(dir, file, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error), { cause: error });
  }
}

async function readOptionalJson<T>(dir: string, file: string): Promise<T | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(dir, file));
  } catch {
    return undefined;
  }
  return parseJson<T>(dir, file, bytes);
}

function parseJson<T>(dir: string, file: string, bytes: Buffer): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new EmbeddingModelError(dir, file, `not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export async function readModelDirectory(dirInput: string): Promise<ModelDirectory> {
  const dir = path.resolve(dirInput);
  const manifest = (await readOptionalJson<ModelManifest>(dir, 'model.json')) ?? {};
  const modelBytes = await readOrThrow(dir, 'model.onnx');
  const tokenizerBytes = await readOrThrow(dir, 'tokenizer.json');
  const modelSha256 = sha256(modelBytes);
  const actual: Record<string, string> = { 'model.onnx': modelSha256, 'tokenizer.json': sha256(tokenizerBytes) };
  for (const [file, expected] of Object.entries(manifest.files ?? {})) {
    if (file in actual && actual[file] !== expected) {
      throw new EmbeddingModelError(dir, file, `sha256 ${actual[file]} does not match the manifest's ${expected} (corrupt or replaced file)`);
    }
  }
  const config = (await readOptionalJson<{ model_max_length?: number }>(dir, 'tokenizer_config.json')) ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(parseJson<object>(dir, 'tokenizer.json', tokenizerBytes), config);
  } catch (error) {
    if (error instanceof EmbeddingModelError) throw error;
    throw new EmbeddingModelError(dir, 'tokenizer.json', `not a usable tokenizer (${(error as Error).message})`, { cause: error });
  }
  const fastTokenizer = installFastUnigram(tokenizer);
  const limit = config.model_max_length;
  return {
    dir,
    modelPath: path.join(dir, 'model.onnx'),
    modelBytes,
    tokenizer,
    fastTokenizer,
    manifest,
    modelSha256,
    ...(typeof limit === 'number' && limit > 0 && limit <= 1_000_000 ? { configMaxTokens: limit } : {}),
  };
}
