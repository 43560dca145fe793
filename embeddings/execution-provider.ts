/**
 * Creates onnxruntime sessions on the requested execution provider, turning "this provider cannot
 * run here" into {@link ExecutionProviderUnavailableError} (or a CPU session when fallback is allowed).
 */
import type * as Ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EmbeddingModelError, ExecutionProviderUnavailableError } from './errors.js';
import { loadOnnxRuntime } from './optional-packages.js';

export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

export interface SessionRequest {
  modelPath: string;
  modelBytes: Uint8Array;
  modelDir: string;
  executionProvider: ExecutionProvider;
  allowCpuFallback: boolean;
  intraOpNumThreads?: number;
}

export interface CreatedSession {
  session: Ort.InferenceSession;
  executionProvider: ExecutionProvider;
  /** Set when the requested provider was unavailable and CPU was used instead. */
  fallbackReason?: string;
}

/** The CUDA provider needs these libraries beside the native binding (not installable offline here). */
function missingCudaLibraries(): string | undefined {
  const require = createRequire(import.meta.url);
  const binding = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  const needed = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
  if (process.platform !== 'linux') return `the CUDA execution provider (onnxruntime-node ships it for linux/x64 only; platform ${process.platform}/${process.arch})`;
  const missing = needed.filter((file) => !existsSync(path.join(binding, file)));
  return missing.length ? `${missing.join(', ')} in ${binding} (install onnxruntime-node's CUDA binaries and the CUDA 12 runtime)` : undefined;
}

async function createOn(request: SessionRequest, provider: ExecutionProvider): Promise<Ort.InferenceSession> {
  const ort = await loadOnnxRuntime();
  const options: Ort.InferenceSession.SessionOptions = { executionProviders: [provider], graphOptimizationLevel: 'all' };
  if (request.intraOpNumThreads) options.intraOpNumThreads = request.intraOpNumThreads;
  return ort.InferenceSession.create(request.modelBytes, options);
}

export async function createSession(request: SessionRequest): Promise<CreatedSession> {
  await loadOnnxRuntime(); // not installed: OptionalDependencyMissingError, before any provider logic
  const provider = request.executionProvider;
  if (provider !== 'cpu') {
    let unavailable: ExecutionProviderUnavailableError | undefined;
    const missing = provider === 'cuda' ? missingCudaLibraries() : undefined;
    if (missing) unavailable = new ExecutionProviderUnavailableError(provider, missing);
    else {
      try {
        return { session: await createOn(request, provider), executionProvider: provider };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!/adapter|shared library|provider|not supported|Failed to load/i.test(message)) {
          throw new EmbeddingModelError(request.modelDir, path.basename(request.modelPath), message, { cause: error });
        }
        const what = provider === 'webgpu' ? `a WebGPU adapter (${message.split('\n')[0].slice(-160)})` : message.split('\n')[0];
        unavailable = new ExecutionProviderUnavailableError(provider, what, { cause: error });
      }
    }
    if (!request.allowCpuFallback) throw unavailable;
    const session = await createCpu(request);
    return { session, executionProvider: 'cpu', fallbackReason: unavailable.message };
  }
  return { session: await createCpu(request), executionProvider: 'cpu' };
}

async function createCpu(request: SessionRequest): Promise<Ort.InferenceSession> {
  try {
    return await createOn(request, 'cpu');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new EmbeddingModelError(request.modelDir, path.basename(request.modelPath), `onnxruntime could not load it: ${message}`, { cause: error });
  }
}
