import { type CompiledCapacity, gpuSecondsMicros, gpuSecondsOf } from './capacity.js';
import { type Micros, tokensCost } from './money.js';

/** Integer micro-dollar prices per 1M tokens, with optional long-context tiers (highest matching wins). */
export interface PriceMicros {
  inputPerM: number;
  outputPerM: number;
  cachedInputPerM: number;
  cacheWritePerM: number;
  /** Anthropic's 1-hour cache write rate (2× input); `cacheWritePerM` is the 5-minute rate (1.25× input). Default: cacheWritePerM. */
  cacheWrite1hPerM?: number;
  tiers: { above: number; inputPerM: number; outputPerM: number; cachedInputPerM: number }[];
  /**
   * Prices of the service tiers a vendor reports it served (OpenAI `service_tier` flex / priority, the Batch
   * API's batch; Anthropic `usage.service_tier` priority / batch), replacing the standard rates. A tier
   * without a price here is billed at the standard rates.
   */
  serviceTiers?: Partial<Record<string, { inputPerM: number; outputPerM: number; cachedInputPerM: number }>>;
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
  /** Of the cache writes, those at Anthropic's 1-hour rate (`cache_creation.ephemeral_1h_input_tokens`). */
  cacheWrite1hTokens?: number;
  /** The service tier the vendor reports it served (`flex`, `priority`, `batch`…); absent or `default`/`standard`: standard rates. */
  serviceTier?: string;
}

/** The vendor cost split as vendors bill it, micro-dollars; the parts sum to the vendor cost exactly. */
export interface VendorCostParts {
  /** Fresh (uncached, unwritten) prompt tokens at the input rate. */
  input: number;
  /** Cache reads at the cached-input rate. */
  cachedInput: number;
  /** Cache writes at the 5-minute and 1-hour write rates. */
  cacheWrite: number;
  /** Output tokens, reasoning included, at the output rate. */
  output: number;
}

/** Cost split so chargeback can allocate each part. `full = vendor + infra + ops`. */
export interface CostBreakdown {
  vendor: Micros;
  infra: Micros;
  ops: Micros;
  full: Micros;
}

/**
 * Vendor cost parts of a usage under a price: the service tier the vendor served (else standard), the
 * long-context tier the prompt falls in, then cached reads (a subset of the prompt), cache writes (5-minute
 * and 1-hour rates, also a subset) and the fresh rest; reasoning tokens are output tokens. One rounding per
 * request: the exact total is rounded once and the rounding goes to the largest part, so the parts sum to it.
 */
export function vendorCostParts(price: PriceMicros, usage: TokenUsage): VendorCostParts & { total: Micros } {
  const s = scaledParts(price, usage);
  const total = Math.round((0 + s[0]! + s[1]! + s[2]! + s[3]!) / 1_000_000);
  let p0 = Math.round(s[0]! / 1_000_000);
  let p1 = Math.round(s[1]! / 1_000_000);
  let p2 = Math.round(s[2]! / 1_000_000);
  let p3 = Math.round(s[3]! / 1_000_000);
  // the rounding goes to the largest part (the first of equals)
  let largest = 0;
  for (let i = 1; i < 4; i++) if (s[i]! > s[largest]!) largest = i;
  const rest = total - (0 + p0 + p1 + p2 + p3);
  if (largest === 0) p0 += rest;
  else if (largest === 1) p1 += rest;
  else if (largest === 2) p2 += rest;
  else p3 += rest;
  return { input: p0, cachedInput: p1, cacheWrite: p2, output: p3, total: total as Micros };
}

/**
 * Vendor-only cost of a usage under a price ({@link vendorCostParts}' total, computed without the parts:
 * the router prices every candidate of every request with it).
 */
export function vendorCost(price: PriceMicros, usage: TokenUsage): Micros {
  const s = scaledParts(price, usage);
  return Math.round((0 + s[0]! + s[1]! + s[2]! + s[3]!) / 1_000_000) as Micros;
}

/** Scratch for {@link scaledParts} (read at once by its synchronous callers; no allocation per price). */
const SCALED = new Float64Array(4);

/**
 * The four vendor cost parts before rounding, in µ$·tokens/1M units: fresh input, cache reads, cache
 * writes (5-minute and 1-hour rates), output; at the service tier the vendor served (else standard)
 * after the long-context tier the prompt falls in. Written to {@link SCALED}, which is returned.
 */
function scaledParts(price: PriceMicros, usage: TokenUsage): Float64Array {
  const rates = (usage.serviceTier ? price.serviceTiers?.[usage.serviceTier] : undefined) ?? contextRates(price, usage.inputTokens);
  const inP = rates.inputPerM;
  const outP = rates.outputPerM;
  const cachedP = rates.cachedInputPerM;
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const write = Math.min(usage.cacheWriteTokens ?? 0, usage.inputTokens - cached);
  const write1h = Math.min(usage.cacheWrite1hTokens ?? 0, write);
  const fresh = usage.inputTokens - cached - write;
  const s = SCALED;
  s[0] = fresh * inP;
  s[1] = cached * cachedP;
  s[2] = (write - write1h) * price.cacheWritePerM + write1h * (price.cacheWrite1hPerM ?? price.cacheWritePerM);
  s[3] = usage.outputTokens * outP;
  return s;
}

/** The standard rates for a prompt of `inputTokens`: the last long-context tier it is above, else the base prices. */
function contextRates(price: PriceMicros, inputTokens: number): { inputPerM: number; outputPerM: number; cachedInputPerM: number } {
  let rates: { inputPerM: number; outputPerM: number; cachedInputPerM: number } = price;
  for (const t of price.tiers) if (inputTokens > t.above) rates = t;
  return rates;
}

/** Infra micro-dollars of a request: its GPU-seconds on a capacity fleet, else the per-token infra rate. */
function infraMicros(basis: CostBasis, inputTokens: number, outputTokens: number): Micros {
  const cap = basis.capacity;
  return (cap ? Math.round(gpuSecondsMicros(cap, gpuSecondsOf(cap, inputTokens, outputTokens))) : tokensCost(inputTokens + outputTokens, basis.infraPerM)) as Micros;
}

/** Ops overhead: basis points of vendor + infra, plus the fixed rate per token. */
function opsMicros(basis: CostBasis, vendor: number, infra: number, tokens: number): Micros {
  return (Math.round(((vendor + infra) * basis.opsBps) / 10_000) + tokensCost(tokens, basis.opsPerM)) as Micros;
}

/**
 * Full cost: vendor + infra (GPU-hours per token × $/GPU-hour) + ops overhead. Pure. `vendor`: the
 * usage's {@link vendorCost} when the caller has it already (from {@link vendorCostParts}).
 */
export function fullCost(basis: CostBasis, usage: TokenUsage, vendor: Micros = vendorCost(basis.price, usage)): CostBreakdown {
  const infra = infraMicros(basis, usage.inputTokens, usage.outputTokens);
  const ops = opsMicros(basis, vendor, infra, usage.inputTokens + usage.outputTokens);
  return { vendor, infra, ops, full: (vendor + infra + ops) as Micros };
}

/**
 * `fullCost(basis, { inputTokens, outputTokens, cachedInputTokens: 0 }).full` without building either
 * object: what the router predicts for each candidate and the reservation sizes, per request.
 */
export function plainFullCost(basis: CostBasis, inputTokens: number, outputTokens: number): Micros {
  // vendorCost for { inputTokens, outputTokens, cachedInputTokens: 0 } (standard service tier): the cached-read
  // and cache-write terms are zero, so the sum is the same float as vendorCost's (test/engine/plain-full-cost.test.ts)
  const rates = contextRates(basis.price, inputTokens);
  const vendor = Math.round((inputTokens * rates.inputPerM + outputTokens * rates.outputPerM) / 1_000_000);
  const infra = infraMicros(basis, inputTokens, outputTokens);
  return (vendor + infra + opsMicros(basis, vendor, infra, inputTokens + outputTokens)) as Micros;
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
