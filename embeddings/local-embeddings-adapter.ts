/**
 * `adapter: local-onnx` — an embeddings model served in process by the ONNX embedder (onnx-embedder.ts),
 * so the engine's `embed()` can route to the bundled model (or any local ONNX export) like to a vendor's:
 * the model declares `operation: embeddings`, a `local-gpu`/`distilled` tier and its `infra` or `capacity`,
 * and the engine prices it by infra (GPU-seconds × $/hour from the policy; engine/cost.ts).
 *
 * The embedder is created on the model's first request (onnxruntime-node is an optional peer and loads
 * only then) and shared by every later request to a model with the same directory and provider.
 */
import { ProviderError, ValidationError } from '../engine/errors.js';
import type { EmbedCallInput, EmbedResponse, EmbeddingAdapter } from '../engine/embed.js';
import type { ModelCallInput, ModelResponse, StreamEvent } from '../engine/seams/model-adapter.js';
import type { ModelSpec } from '../policies/schema.js';
import type { Embedder } from './embedder.js';

/** Builds the embedder of one `local-onnx` model (default: {@link OnnxEmbedder} over `onnx.modelDir` or the bundled model). */
export type LocalEmbedderFactory = (model: ModelSpec) => Promise<Embedder>;

export interface LocalEmbeddingsAdapterOptions {
  /** Overrides how an embedder is made (tests, a pre-built embedder). Default: the ONNX embedder the model's `onnx` block names. */
  createEmbedder?: LocalEmbedderFactory;
}

/** What one call measured, for callers that report compute (not part of the seam). */
export interface LocalEmbedCall {
  model: string;
  texts: number;
  tokens: number;
  /** Wall-clock seconds inside the embedder for this call. */
  seconds: number;
  executionProvider: string;
}

async function defaultEmbedder(model: ModelSpec): Promise<Embedder> {
  const [{ OnnxEmbedder }, { defaultModelDir }] = await Promise.all([import('./onnx-embedder.js'), import('./default-model.js')]);
  const o = model.onnx;
  return OnnxEmbedder.create({
    modelDir: o?.modelDir ?? defaultModelDir(),
    executionProvider: o?.executionProvider ?? 'cpu',
    allowCpuFallback: o?.allowCpuFallback ?? true,
    ...(o?.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
  });
}

const embedderKey = (m: ModelSpec): string => JSON.stringify([m.onnx?.modelDir ?? '', m.onnx?.executionProvider ?? 'cpu', m.onnx?.allowCpuFallback ?? true, m.onnx?.batchSize ?? 0]);

/**
 * The `local-onnx` {@link EmbeddingAdapter}. `embed` answers one unit-length vector per input, in order,
 * and the model's own token count as usage (its tokenizer, special tokens included, before truncation).
 * `dimensions` other than the model's own is refused (`invalid_request` naming `dimensions`, a 400):
 * these models are not Matryoshka-trained. Chat (`call`, `stream`) is refused: the policy validator
 * already requires `operation: embeddings` for this adapter.
 */
export class LocalEmbeddingsAdapter implements EmbeddingAdapter {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'local-onnx';
  private readonly embedders = new Map<string, Promise<Embedder>>();
  private readonly factory: LocalEmbedderFactory;
  /** The last call's measurements (texts, tokens, seconds, provider). */
  lastCall: LocalEmbedCall | undefined;

  constructor(options: LocalEmbeddingsAdapterOptions = {}) {
    this.factory = options.createEmbedder ?? defaultEmbedder;
  }

  /** The embedder serving `model` (created on first use; a failed creation is retried by the next call). */
  embedderFor(model: ModelSpec): Promise<Embedder> {
    const key = embedderKey(model);
    let p = this.embedders.get(key);
    if (!p) {
      p = this.factory(model);
      this.embedders.set(key, p);
      p.catch(() => this.embedders.delete(key));
    }
    return p;
  }

  async embed(input: EmbedCallInput): Promise<EmbedResponse> {
    input.signal.throwIfAborted();
    const embedder = await this.embedderFor(input.model);
    if (input.dimensions !== undefined && input.dimensions !== embedder.dimension) {
      throw new ValidationError('embeddings request', [{ path: 'dimensions', message: `${input.model.id} gives ${embedder.dimension}-dimensional vectors only (got ${input.dimensions})` }]);
    }
    input.signal.throwIfAborted();
    const texts = [...input.input];
    const before = embedder.stats.seconds;
    const vectors = await embedder.embed(texts);
    const tokens = texts.reduce((n, t) => n + embedder.countTokens(t), 0);
    this.lastCall = { model: input.model.id, texts: texts.length, tokens, seconds: embedder.stats.seconds - before, executionProvider: embedder.executionProvider };
    return { embeddings: vectors.map((v) => Array.from(v)), usage: { inputTokens: tokens } };
  }

  call(input: ModelCallInput): Promise<ModelResponse> {
    return Promise.reject(chatRefused(input.model.id));
  }

  // eslint-disable-next-line require-yield
  async *stream(input: ModelCallInput): AsyncIterable<StreamEvent> {
    throw chatRefused(input.model.id);
  }
}

const chatRefused = (model: string): ProviderError => new ProviderError('client_error', model, `${model}: adapter local-onnx serves embeddings only (operation: embeddings)`);
