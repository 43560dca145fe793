/**
 * Loads the embeddings subsystem's heavy packages on first use (optional peer dependencies; see
 * engine/optional-dependency.ts). Modules here import them for types only, so importing
 * `tollgate/embeddings` loads no native library until something embeds, stores or queues.
 */
import type * as Ort from 'onnxruntime-node';
import type * as LanceDb from '@lancedb/lancedb';
import type * as BullMq from 'bullmq';
import type * as IoRedis from 'ioredis';
import type * as Arrow from 'apache-arrow';
import { importOptional } from '../engine/optional-dependency.js';

export type OrtModule = typeof Ort;
export type LanceDbModule = typeof LanceDb;
export type BullMqModule = typeof BullMq;
export type IoRedisModule = typeof IoRedis;
export type ArrowModule = typeof Arrow;

let ort: OrtModule | undefined;

/** onnxruntime-node (ONNX embedder, learned-routing heads and kNN scan). */
export async function loadOnnxRuntime(): Promise<OrtModule> {
  return (ort ??= await importOptional('onnxruntime-node', 'ONNX inference (embeddings, learned routing)', () => import('onnxruntime-node')));
}

/** The loaded onnxruntime-node, for synchronous code that runs after a session was created. */
export function loadedOnnxRuntime(): OrtModule {
  if (!ort) throw new Error('onnxruntime-node used before loadOnnxRuntime() resolved');
  return ort;
}

/** @lancedb/lancedb (vector store, kNN artefacts). */
export const loadLanceDb = (): Promise<LanceDbModule> =>
  importOptional('@lancedb/lancedb', 'The LanceDB vector store', () => import('@lancedb/lancedb'));

/** apache-arrow (the columns LanceDB writes; a peer of @lancedb/lancedb). */
export const loadApacheArrow = (): Promise<ArrowModule> => importOptional('apache-arrow', 'The LanceDB vector store', () => import('apache-arrow'));

/** bullmq (distributed embedding jobs). */
export const loadBullMq = (): Promise<BullMqModule> => importOptional('bullmq', 'Distributed embedding jobs', () => import('bullmq'));

/** ioredis (the Redis connection of distributed embedding jobs). */
export const loadIoRedis = (): Promise<IoRedisModule> => importOptional('ioredis', 'Distributed embedding jobs', () => import('ioredis'));
