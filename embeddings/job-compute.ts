/**
 * What an embedding job's compute cost (#18 item 6): the seconds it used on its execution provider, priced
 * at an hourly rate, per 1M embedded tokens, next to what the same texts would have cost at a vendor's
 * embedding price, and the ledger lines (decision records, `operation: "embeddings"`) that carry it to
 * chargeback. Pure functions; the job measures, these price.
 *
 * - On a GPU (`cuda`, `webgpu`) the job holds the device for its whole session: billed seconds = the
 *   job's wall-clock seconds × `gpuHourlyUsd` (one GPU).
 * - On CPU the job is billed for the CPU time the process used (user + system, all threads: tokeniser,
 *   onnxruntime's intra-op threads, the store's writer) × `cpuHourlyUsd` per vCPU-hour.
 */
import { randomUUID } from 'node:crypto';
import type { DecisionRecord } from '../engine/decision-record.js';
import type { TenantEmbedTotals } from './embed-pipeline.js';

/** Default price of one GPU-hour: an on-demand data-centre GPU at the low end of cloud list prices (USD). */
export const DEFAULT_GPU_HOURLY_USD = 2.5;
/** Default price of one vCPU-hour: a compute-optimised cloud instance's on-demand price per vCPU (USD). */
export const DEFAULT_CPU_HOURLY_USD = 0.05;
/** The vendor model a job is compared with by default (`provider/model` in the price catalog). */
export const DEFAULT_VENDOR_EMBEDDING_MODEL = 'openai/text-embedding-3-small';

export interface ComputePrices {
  gpuHourlyUsd: number;
  cpuHourlyUsd: number;
}

/** A vendor's embedding price, and how its tokenizer counts a text. */
export interface VendorEmbeddingPrice {
  /** `provider/model`, as named in the catalog. */
  model: string;
  /** Input price, µ$ per 1M of the vendor's tokens. */
  inputPerMillionMicros: number;
  /** The vendor's token count of one text. */
  countTokens: (text: string) => number;
}

/** Measured compute of one job and its infra cost. Money in integer micro-dollars. */
export interface EmbedJobCompute {
  /** The execution provider the session ran on (after any CPU fallback). */
  executionProvider: string;
  /** Why the requested provider was replaced by CPU, when it was. */
  fallbackReason?: string;
  device: 'cpu' | 'gpu';
  wallSeconds: number;
  /** Wall-clock seconds inside the embedder. */
  embeddingSeconds: number;
  /** Process CPU time (user + system) while the job ran. */
  cpuSeconds: number;
  /** GPU-seconds held: the job's wall seconds on a GPU provider, else 0. */
  gpuSeconds: number;
  /** The hourly price applied (GPU-hour, or vCPU-hour on CPU). */
  hourlyUsd: number;
  /** Seconds the price applied to: gpuSeconds on a GPU, cpuSeconds on CPU. */
  billedSeconds: number;
  infraCostMicros: number;
  embeddedTokens: number;
  infraCostPerMillionTokensMicros: number;
  /** The same texts at the vendor's catalog price. */
  vendor?: {
    model: string;
    inputPerMillionMicros: number;
    /** The vendor's count of the embedded texts. */
    tokens: number;
    costMicros: number;
    /** Vendor cost per 1M embedded tokens (the job's tokenizer: the same denominator as the infra figure). */
    costPerMillionTokensMicros: number;
  };
}

export interface ComputeMeasurement {
  executionProvider: string;
  fallbackReason?: string;
  wallSeconds: number;
  embeddingSeconds: number;
  cpuSeconds: number;
  embeddedTokens: number;
  /** The vendor tokenizer's count of the embedded texts (with `vendor`). */
  vendorTokens?: number;
}

/** Prices a job's measured compute, and the vendor comparison. Pure. */
export function priceEmbedCompute(m: ComputeMeasurement, prices: ComputePrices, vendor?: Omit<VendorEmbeddingPrice, 'countTokens'>): EmbedJobCompute {
  const device = m.executionProvider === 'cpu' ? 'cpu' : 'gpu';
  const gpuSeconds = device === 'gpu' ? m.wallSeconds : 0;
  const billedSeconds = device === 'gpu' ? gpuSeconds : m.cpuSeconds;
  const hourlyUsd = device === 'gpu' ? prices.gpuHourlyUsd : prices.cpuHourlyUsd;
  const infraExact = (billedSeconds / 3600) * hourlyUsd * 1e6;
  const perM = (exact: number): number => (m.embeddedTokens > 0 ? Math.round((exact * 1e6) / m.embeddedTokens) : 0);
  const out: EmbedJobCompute = {
    executionProvider: m.executionProvider,
    ...(m.fallbackReason !== undefined && { fallbackReason: m.fallbackReason }),
    device,
    wallSeconds: m.wallSeconds,
    embeddingSeconds: m.embeddingSeconds,
    cpuSeconds: m.cpuSeconds,
    gpuSeconds,
    hourlyUsd,
    billedSeconds,
    infraCostMicros: Math.round(infraExact),
    embeddedTokens: m.embeddedTokens,
    infraCostPerMillionTokensMicros: perM(infraExact),
  };
  if (vendor) {
    const tokens = m.vendorTokens ?? 0;
    const exact = (tokens * vendor.inputPerMillionMicros) / 1e6;
    out.vendor = { model: vendor.model, inputPerMillionMicros: vendor.inputPerMillionMicros, tokens, costMicros: Math.round(exact), costPerMillionTokensMicros: perM(exact) };
  }
  return out;
}

/** Splits `total` in proportion to `weights` (largest remainder: the parts sum to `total`). Pure. */
export function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    parts[i]!++;
    left--;
  }
  return parts;
}

export interface EmbedJobLedgerInput {
  compute: EmbedJobCompute;
  byTenant: Readonly<Record<string, TenantEmbedTotals>>;
  modelId: string;
  modelVersion: string;
  /** Epoch ms the job finished. */
  finishedAt: number;
  /** Default: a random UUID. */
  jobId?: string;
  tags?: string[];
}

/**
 * The job's ledger lines: one decision record per tenant whose texts needed a vector, `operation:
 * "embeddings"`, `rule: "embed-job"`, the local model as `model` (tier `local-gpu`: self-hosted), tokens
 * as the model counted them, and the job's infra cost (and GPU-seconds) split by each tenant's tokens,
 * so `tollgate chargeback` shows it. `candidates` holds the comparison: the local model at its infra
 * cost (chosen) and the vendor model at its catalog price for the same texts (not called: `eligible: false`).
 */
export function embedJobRecords(input: EmbedJobLedgerInput): DecisionRecord[] {
  const { compute } = input;
  const tenants = Object.entries(input.byTenant).filter(([, t]) => t.texts > 0);
  const weights = tenants.map(([, t]) => t.tokens);
  const infra = allocate(compute.infraCostMicros, weights);
  const vendor = compute.vendor ? allocate(compute.vendor.costMicros, tenants.map(([, t]) => t.vendorTokens)) : [];
  const totalTokens = weights.reduce((a, b) => a + b, 0);
  const jobId = input.jobId ?? randomUUID();
  const time = new Date(input.finishedAt).toISOString();
  return tenants.map(([tenant, t], i) => ({
    v: 1 as const,
    time,
    requestId: `embed-job:${jobId}:${tenant}`,
    tenant,
    tags: input.tags ?? [],
    policy: { name: 'tollgate-embed', version: input.modelVersion },
    rule: 'embed-job',
    candidates: [
      { model: input.modelId, tier: 'local-gpu', predictedCostMicros: infra[i]!, predictedQuality: 1, eligible: true },
      ...(compute.vendor ? [{ model: compute.vendor.model, tier: 'vendor', predictedCostMicros: vendor[i]!, predictedQuality: 1, eligible: false, reason: 'comparison: the same texts at the catalog price (not called)' }] : []),
    ],
    chosen: input.modelId,
    model: input.modelId,
    tier: 'local-gpu',
    fallbacks: [],
    attempts: 1,
    tokens: { input: t.tokens, output: 0, cached: 0, source: 'tokenizer' as const },
    predictedCostMicros: infra[i]!,
    cost: { vendor: 0, infra: infra[i]!, ops: 0, full: infra[i]! },
    ...(compute.gpuSeconds > 0 && totalTokens > 0 && { gpuSeconds: (compute.gpuSeconds * t.tokens) / totalTokens }),
    latencyMs: Math.round(compute.wallSeconds * 1000),
    outcome: 'ok' as const,
    operation: 'embeddings' as const,
  }));
}
