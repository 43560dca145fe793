import type { LoadedPolicy } from '../policies/loader.js';
import type { ModelSpec, Policy, RuleSpec } from '../policies/schema.js';
import { compileCapacity, gpuSecondsOf } from './capacity.js';
import { type CostBasis, gpuHoursPerMillion, infraMicrosPerMillion, type PriceMicros } from './cost.js';
import { usdToMicros } from './money.js';
import type { PriceCatalog } from './seams/price-catalog.js';
import type { Encoding } from './tokens.js';

/** A model with everything routing needs precomputed (prices in integer micro-dollars). */
export interface CompiledModel {
  spec: ModelSpec;
  id: string;
  tier: ModelSpec['tier'];
  encoding: Encoding;
  basis: CostBasis;
  /** Index in policy order: the deterministic tie-breaker. */
  order: number;
}

export interface CompiledRule {
  spec: RuleSpec;
  name: string;
  tenants?: Set<string>;
  tags?: Set<string>;
  tasks?: Set<string>;
  candidates: CompiledModel[];
  qualityFloor: number;
  maxCostMicros?: number;
}

/** A policy prepared for the hot path: models priced once, rules with sets instead of arrays. */
export interface CompiledPolicy {
  name: string;
  version: string;
  policy: Policy;
  models: CompiledModel[];
  byId: Map<string, CompiledModel>;
  rules: CompiledRule[];
  defaultRule: CompiledRule;
  encodings: Set<Encoding>;
}

const TIER_RANK: Record<ModelSpec['tier'], number> = { 'local-gpu': 0, distilled: 1, vendor: 2 };
export const tierRank = (tier: ModelSpec['tier']): number => TIER_RANK[tier];

/** Compiles a validated policy against a price catalog. Throws MissingPriceError for an unpriced model. */
export function compilePolicy(loaded: LoadedPolicy, catalog: PriceCatalog): CompiledPolicy {
  const { policy } = loaded;
  const models = policy.models.map((spec, order) => compileModel(spec, order, policy, catalog));
  const byId = new Map(models.map((m) => [m.id, m]));
  const floor = policy.defaults.qualityFloor;
  const rules = policy.rules.map((r) => compileRule(r, models, byId, floor));
  const defaultRule = compileRule({ name: 'default', when: {}, prefer: 'cheapest' }, models, byId, floor);
  return {
    name: policy.name,
    version: loaded.version,
    policy,
    models,
    byId,
    rules,
    defaultRule,
    encodings: new Set(models.map((m) => m.encoding)),
  };
}

function compileModel(spec: ModelSpec, order: number, policy: Policy, catalog: PriceCatalog): CompiledModel {
  const price: PriceMicros = spec.prices ? pricesFromSpec(spec.prices) : spec.tier === 'vendor' ? catalog.priceFor(spec) : zeroPrice();
  const ops = spec.ops ?? policy.ops ?? {};
  const infra = spec.infra;
  const capacity = spec.capacity ? compileCapacity(spec) : undefined;
  // A declared curve: GPU-hours per 1M tokens at its best throughput, for an even prompt/output mix.
  const capGpuHoursPerM = capacity ? gpuSecondsOf(capacity, 500_000, 500_000) / 3600 : 0;
  const basis: CostBasis = {
    price,
    infraPerM: capacity ? Math.round(capGpuHoursPerM * capacity.gpuHourlyMicros) : infra ? infraMicrosPerMillion(infra.gpuHourlyUsd, infra.gpus, infra.tokensPerSecond) : 0,
    gpuHoursPerM: capacity ? capGpuHoursPerM : infra ? gpuHoursPerMillion(infra.gpus, infra.tokensPerSecond) : 0,
    opsBps: Math.round((ops.percent ?? 0) * 100),
    opsPerM: usdToMicros(ops.perMillionUsd ?? 0),
    ...(capacity ? { capacity } : {}),
  };
  return { spec, id: spec.id, tier: spec.tier, encoding: spec.encoding, basis, order };
}

export function pricesFromSpec(p: NonNullable<ModelSpec['prices']>): PriceMicros {
  const inputPerM = usdToMicros(p.inputPerM);
  return {
    inputPerM,
    outputPerM: usdToMicros(p.outputPerM),
    cachedInputPerM: p.cachedInputPerM === undefined ? inputPerM : usdToMicros(p.cachedInputPerM),
    cacheWritePerM: p.cacheWritePerM === undefined ? inputPerM : usdToMicros(p.cacheWritePerM),
    ...(p.cacheWrite1hPerM !== undefined && { cacheWrite1hPerM: usdToMicros(p.cacheWrite1hPerM) }),
    ...(p.serviceTiers && {
      serviceTiers: Object.fromEntries(
        Object.entries(p.serviceTiers).map(([k, t]) => [k, { inputPerM: usdToMicros(t.inputPerM), outputPerM: usdToMicros(t.outputPerM), cachedInputPerM: usdToMicros(t.cachedInputPerM ?? t.inputPerM) }]),
      ),
    }),
    tiers: (p.tiers ?? [])
      .map((t) => ({
        above: t.above,
        inputPerM: usdToMicros(t.inputPerM),
        outputPerM: usdToMicros(t.outputPerM),
        cachedInputPerM: usdToMicros(t.cachedInputPerM ?? t.inputPerM),
      }))
      .sort((a, b) => a.above - b.above),
  };
}

const zeroPrice = (): PriceMicros => ({ inputPerM: 0, outputPerM: 0, cachedInputPerM: 0, cacheWritePerM: 0, tiers: [] });

function compileRule(spec: RuleSpec, models: CompiledModel[], byId: Map<string, CompiledModel>, floor: number): CompiledRule {
  const w = spec.when ?? {};
  return {
    spec,
    name: spec.name,
    tenants: w.tenants ? new Set(w.tenants) : undefined,
    tags: w.tags ? new Set(w.tags) : undefined,
    tasks: w.tasks ? new Set(w.tasks) : undefined,
    candidates: spec.models ? spec.models.map((id) => byId.get(id)!) : models,
    qualityFloor: spec.qualityFloor ?? floor,
    maxCostMicros: spec.maxCostUsd === undefined ? undefined : usdToMicros(spec.maxCostUsd),
  };
}
