/**
 * {@link Embedder} over any sentence-transformers-style ONNX export in a local directory
 * (`model.onnx` + `tokenizer.json`), run with onnxruntime-node and @huggingface/tokenizers.
 */
import type * as Ort from 'onnxruntime-node';
import type { Embedder, EmbedderStats } from './embedder.js';
import { EmbeddingInputError, EmbeddingModelError } from './errors.js';
import { createSession, type ExecutionProvider } from './execution-provider.js';
import { readModelDirectory, type ModelDirectory } from './model-directory.js';
import { loadedOnnxRuntime } from './optional-packages.js';

export interface OnnxEmbedderOptions {
  /** Directory holding model.onnx and tokenizer.json. */
  modelDir: string;
  /** Default `cpu`. */
  executionProvider?: ExecutionProvider;
  /** When the requested provider is unavailable, run on CPU instead of throwing. Default false. */
  allowCpuFallback?: boolean;
  /** Token limit per text (special tokens included). Default: manifest, tokenizer_config.json, else 512. */
  maxTokens?: number;
  /** Texts per `session.run`. Default 64. */
  batchSize?: number;
  /** Overrides for the model's identity (default: manifest id/version, else directory name and model sha256). */
  modelId?: string;
  modelVersion?: string;
  intraOpNumThreads?: number;
}

/** Token ids of one text, truncated to the limit with special tokens kept. */
interface Encoded {
  ids: number[];
  truncated: boolean;
  fullLength: number;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const POOLED_OUTPUTS = ['sentence_embedding', 'sentence_embeddings', 'embeddings'];
const TOKEN_OUTPUTS = ['last_hidden_state', 'token_embeddings'];

export class OnnxEmbedder implements Embedder {
  readonly specificationVersion = 'v1' as const;
  readonly stats: EmbedderStats = { texts: 0, tokens: 0, batches: 0, truncatedCount: 0, seconds: 0 };
  /** Why the requested provider was replaced by CPU, when it was. */
  fallbackReason: string | undefined;

  private constructor(
    private readonly model: ModelDirectory,
    readonly session: Ort.InferenceSession,
    readonly modelId: string,
    readonly modelVersion: string,
    readonly maxTokens: number,
    readonly executionProvider: string,
    private readonly batchSize: number,
    private readonly specialPrefix: number[],
    private readonly specialSuffix: number[],
    private readonly outputName: string,
    public dimension: number,
  ) {}

  static async create(options: OnnxEmbedderOptions): Promise<OnnxEmbedder> {
    const model = await readModelDirectory(options.modelDir);
    const created = await createSession({
      modelPath: model.modelPath,
      modelBytes: model.modelBytes,
      modelDir: model.dir,
      executionProvider: options.executionProvider ?? 'cpu',
      allowCpuFallback: options.allowCpuFallback ?? false,
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    });
    const { session } = created;
    for (const input of session.inputNames) {
      if (!['input_ids', 'attention_mask', 'token_type_ids'].includes(input)) {
        throw new EmbeddingModelError(model.dir, 'model.onnx', `unsupported graph input "${input}" (expected input_ids, attention_mask, token_type_ids)`);
      }
    }
    const outputName =
      (model.manifest.output && session.outputNames.includes(model.manifest.output) ? model.manifest.output : undefined) ??
      POOLED_OUTPUTS.find((n) => session.outputNames.includes(n)) ??
      TOKEN_OUTPUTS.find((n) => session.outputNames.includes(n)) ??
      session.outputNames[0];
    const { prefix, suffix } = specialTokens(model);
    const dirName = model.dir.split(/[\\/]/).pop() ?? 'model';
    const embedder = new OnnxEmbedder(
      model,
      session,
      options.modelId ?? model.manifest.id ?? dirName,
      options.modelVersion ?? model.manifest.version ?? `sha256-${model.modelSha256.slice(0, 12)}`,
      options.maxTokens ?? model.manifest.maxTokens ?? model.configMaxTokens ?? 512,
      created.executionProvider,
      options.batchSize ?? 64,
      prefix,
      suffix,
      outputName,
      model.manifest.dimension ?? 0,
    );
    embedder.fallbackReason = created.fallbackReason;
    const [probe] = await embedder.runBatch([embedder.encode('dimension probe').ids]);
    if (embedder.dimension && probe.length !== embedder.dimension) {
      throw new EmbeddingModelError(model.dir, 'model.json', `manifest says dimension ${embedder.dimension}, graph gives ${probe.length}`);
    }
    embedder.dimension = probe.length;
    return embedder;
  }

  countTokens(text: string): number {
    return this.encode(text).fullLength;
  }

  /** Tokenises with the model's special tokens, truncating the body so the total fits `maxTokens`. */
  encode(text: string): Encoded {
    const body = this.model.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const room = Math.max(1, this.maxTokens - this.specialPrefix.length - this.specialSuffix.length);
    const truncated = body.length > room;
    const ids = [...this.specialPrefix, ...(truncated ? body.slice(0, room) : body), ...this.specialSuffix];
    return { ids, truncated, fullLength: body.length + this.specialPrefix.length + this.specialSuffix.length };
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (!Array.isArray(texts)) throw new EmbeddingInputError(-1, 'expected an array of strings');
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new EmbeddingInputError(i, `expected a string, got ${t === null ? 'null' : typeof t}`);
    });
    const started = performance.now();
    const encoded = texts.map((t) => this.encode(t));
    // Sort by length so each batch pads to a similar length; results go back in input order.
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[a].ids.length - encoded[b].ids.length);
    const out = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const slice = order.slice(start, start + this.batchSize);
      const vectors = await this.runBatch(slice.map((i) => encoded[i].ids));
      slice.forEach((i, k) => (out[i] = vectors[k]));
    }
    this.stats.texts += texts.length;
    this.stats.tokens += encoded.reduce((s, e) => s + e.ids.length, 0);
    this.stats.truncatedCount += encoded.filter((e) => e.truncated).length;
    this.stats.seconds += (performance.now() - started) / 1000;
    return out;
  }

  /**
   * Embeds rows that are already token ids (special tokens included, within `maxTokens`), batched
   * and padded like `embed`. For callers that tokenise themselves, and for measuring the wrapper.
   */
  async embedTokenIds(rows: number[][]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < rows.length; start += this.batchSize) out.push(...(await this.runBatch(rows.slice(start, start + this.batchSize))));
    return out;
  }

  /** Builds the int64 feeds for already-tokenised rows, padded to the longest row. */
  feeds(rows: number[][]): Record<string, Ort.Tensor> {
    const ort = loadedOnnxRuntime(); // loaded when the session was created
    const width = Math.max(1, ...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * width);
    const mask = new BigInt64Array(rows.length * width);
    // Write the low 32-bit word of each int64 directly (ids are small non-negative ints):
    // ~10× faster than a BigInt per element.
    const idWords = new Int32Array(ids.buffer);
    const maskWords = new Int32Array(mask.buffer);
    const lowWord = LITTLE_ENDIAN ? 0 : 1;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      for (let c = 0; c < row.length; c++) {
        idWords[2 * (r * width + c) + lowWord] = row[c];
        maskWords[2 * (r * width + c) + lowWord] = 1;
      }
    }
    const dims = [rows.length, width];
    const feeds: Record<string, Ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims) };
    if (this.session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(rows.length * width), dims);
    return feeds;
  }

  private async runBatch(rows: number[][]): Promise<Float32Array[]> {
    if (rows.length === 0) return [];
    const feeds = this.feeds(rows);
    const result = await this.session.run(feeds, [this.outputName]);
    const output = result[this.outputName];
    this.stats.batches++;
    const data = output.data as Float32Array;
    const vectors = output.dims.length === 3 ? meanPool(data, output.dims, feeds.attention_mask.data as BigInt64Array) : split(data, output.dims);
    for (const v of vectors) normalise(v);
    return vectors;
  }
}

/** Finds the special ids the tokenizer's post-processor wraps around a text (e.g. [CLS] … [SEP]). */
function specialTokens(model: ModelDirectory): { prefix: number[]; suffix: number[] } {
  const plain: number[] = model.tokenizer.encode('a', { add_special_tokens: false }).ids;
  const wrapped: number[] = model.tokenizer.encode('a', { add_special_tokens: true }).ids;
  for (let at = 0; at + plain.length <= wrapped.length; at++) {
    if (plain.every((id, k) => wrapped[at + k] === id)) return { prefix: wrapped.slice(0, at), suffix: wrapped.slice(at + plain.length) };
  }
  return { prefix: [], suffix: [] };
}

function split(data: Float32Array, dims: readonly number[]): Float32Array[] {
  const [rows, dim] = dims;
  const out: Float32Array[] = new Array(rows);
  for (let r = 0; r < rows; r++) out[r] = data.slice(r * dim, (r + 1) * dim);
  return out;
}

function meanPool(data: Float32Array, dims: readonly number[], mask: BigInt64Array): Float32Array[] {
  const [rows, width, dim] = dims;
  return Array.from({ length: rows }, (_, r) => {
    const v = new Float32Array(dim);
    let count = 0;
    for (let t = 0; t < width; t++) {
      if (mask[r * width + t] === 0n) continue;
      count++;
      const base = (r * width + t) * dim;
      for (let k = 0; k < dim; k++) v[k] += data[base + k];
    }
    if (count > 0) for (let k = 0; k < dim; k++) v[k] /= count;
    return v;
  });
}

/** Scales `v` to unit length; leaves it as it is when it already is (models that end in an L2 norm) or is zero. */
function normalise(v: Float32Array): void {
  let sum = 0;
  for (let k = 0; k < v.length; k++) sum += v[k] * v[k];
  if (sum <= 1e-24 || Math.abs(sum - 1) < 1e-6) return;
  const inv = 1 / Math.sqrt(sum);
  for (let k = 0; k < v.length; k++) v[k] *= inv;
}
