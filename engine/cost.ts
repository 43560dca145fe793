import { type CompiledCapacity, gpuSecondsMicros, gpuSecondsOf } from './capacity.js';
import { type Micros, tokensCost } from './money.js';

/** Integer micro-dollar prices per 1M tokens, with optional long-context tiers (highest matching wins). */
export interface PriceMicros {
  inputPerM: number;
  outputPerM: number;
  cachedInputPerM: number;
  cacheWritePerM: number;
  tiers: { above: number; inputPerM: number; outputPerM: number; cachedInputPerM: number }[];
}

/** A model's full cost basis: vendor prices, self-hosted infra per 1M tokens, ops overhead. */
export interface CostBasis {
  price: PriceMicros;
  /** Infra (GPU-hours × $/GPU-hour) per 1M tokens, micro-dollars. */
  infraPerM: number;
  /** GPU-hours per 1M tokens (0 for vendor models). */
  gpuHoursPerM: number;
  /** Ops overhead in basis points of (vendor + infra). */
  opsBps: number;
  /** Fixed ops overhead per 1M tokens, micro-dollars. */
  opsPerM: number;
  /**
   * A model with a declared `capacity` (engine/capacity.ts): infra is then its provisional cost, the
   * GPU-seconds of its prompt and output tokens at the curve's best throughput × $/GPU-second; the
   * window's true-up (engine/capacity-cost.ts) adds the provisioned rest. Absent: `infraPerM` per token.
   */
  capacity?: CompiledCapacity;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens served from the vendor's prompt cache (a subset of inputTokens). */
  cachedInputTokens: number;
  /** Prompt tokens written to the vendor's prompt cache (Anthropic). */
  cacheWriteTokens?: number;
  /** Output tokens spent on reasoning (a subset of outputTokens, billed as output; OpenAI `reasoning_tokens`). */
  reasoningTokens?: number;
}

/** Cost split so chargeback can allocate each part. `full = vendor + infra + ops`. */
export interface CostBreakdown {
  vendor: Micros;
  infra: Micros;
  ops: Micros;
  full: Micros;
}

/** Vendor-only cost of a usage under a price, applying the long-context tier the prompt falls in. */
export function vendorCost(price: PriceMicros, usage: TokenUsage): Micros {
  let inP = price.inputPerM;
  let outP = price.outputPerM;
  let cachedP = price.cachedInputPerM;
  for (const t of price.tiers) {
    if (usage.inputTokens > t.above) {
      inP = t.inputPerM;
      outP = t.outputPerM;
      cachedP = t.cachedInputPerM;
    }
  }
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const write = Math.min(usage.cacheWriteTokens ?? 0, usage.inputTokens - cached);
  const fresh = usage.inputTokens - cached - write;
  // One rounding per request: sum in µ$·tokens/1M units first.
  const scaled = fresh * inP + cached * cachedP + write * price.cacheWritePerM + usage.outputTokens * outP;
  return Math.round(scaled / 1_000_000) as Micros;
}

/** Full cost: vendor + infra (GPU-hours per token × $/GPU-hour) + ops overhead. Pure. */
export function fullCost(basis: CostBasis, usage: TokenUsage): CostBreakdown {
  const vendor = vendorCost(basis.price, usage);
  const tokens = usage.inputTokens + usage.outputTokens;
  const cap = basis.capacity;
  const infra = cap ? (Math.round(gpuSecondsMicros(cap, gpuSecondsOf(cap, usage.inputTokens, usage.outputTokens))) as Micros) : tokensCost(tokens, basis.infraPerM);
  const ops = (Math.round(((vendor + infra) * basis.opsBps) / 10_000) + tokensCost(tokens, basis.opsPerM)) as Micros;
  return { vendor, infra, ops, full: (vendor + infra + ops) as Micros };
}

/** Cost per 1M tokens (integer micro-dollars), 0 when there were no tokens. */
export function costPerMillion(cost: number, tokens: number): Micros {
  return (tokens > 0 ? Math.round((cost * 1_000_000) / tokens) : 0) as Micros;
}

/** GPU-hours needed per 1M tokens at a measured throughput. */
export function gpuHoursPerMillion(gpus: number, tokensPerSecond: number): number {
  return (gpus * 1_000_000) / (tokensPerSecond * 3600);
}

/** Infra micro-dollars per 1M tokens: GPU-hours per 1M × $/GPU-hour. */
export function infraMicrosPerMillion(gpuHourlyUsd: number, gpus: number, tokensPerSecond: number): number {
  return Math.round(gpuHoursPerMillion(gpus, tokensPerSecond) * gpuHourlyUsd * 1_000_000);
}
