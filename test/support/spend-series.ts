import { decisionRecordSchema, type DecisionRecord } from '../../engine/decision-record.js';

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeriesSpec {
  start: number;
  hours: number;
  /** Mean full cost per request, µ$ (±30% noise). */
  costMicros: number;
  /** Mean tokens per request (±15% noise). */
  tokens: number;
  seed?: number;
  tenant?: string;
  /** Multiplies cost (and tokens by `tokenFactor`) for records inside [from, to). */
  spike?: { from: number; to: number; costFactor: number; tokenFactor?: number };
}

/**
 * A generated decision log: every 15 s, 0–2 requests (mean 1) for the tenant, with noisy cost and
 * tokens; optionally a spike. Records are schema-valid and in time order.
 */
export function generateSeries(spec: SeriesSpec): DecisionRecord[] {
  const rand = prng(spec.seed ?? 42);
  const tenant = spec.tenant ?? 'acme';
  const out: DecisionRecord[] = [];
  const end = spec.start + spec.hours * 3_600_000;
  let n = 0;
  for (let t = spec.start; t < end; t += 15_000) {
    const count = Math.floor(rand() * 3);
    for (let k = 0; k < count; k++) {
      const at = t + Math.floor(rand() * 15_000);
      const inSpike = spec.spike !== undefined && at >= spec.spike.from && at < spec.spike.to;
      const cost = Math.round(spec.costMicros * (0.7 + rand() * 0.6) * (inSpike ? spec.spike!.costFactor : 1));
      const tokens = Math.round(spec.tokens * (0.85 + rand() * 0.3) * (inSpike ? (spec.spike!.tokenFactor ?? 1) : 1));
      out.push(
        checked(out.length === 0, {
          v: 1,
          time: new Date(at).toISOString(),
          requestId: `${tenant}-${++n}`,
          tenant,
          tags: [],
          candidates: [],
          fallbacks: [],
          attempts: 1,
          predictedCostMicros: cost,
          policy: { name: 'p', version: 'v1' },
          model: 'gpt-4o-mini',
          tier: 'vendor',
          tokens: { input: Math.round(tokens * 0.7), output: tokens - Math.round(tokens * 0.7), cached: 0, source: 'vendor' },
          cost: { vendor: cost, infra: 0, ops: 0, full: cost },
          latencyMs: 100,
          outcome: 'ok',
        }),
      );
    }
  }
  return out.sort((a, b) => a.time.localeCompare(b.time));
}

/** Validates the first record against the schema (the rest share its shape; parsing all is slow). */
function checked(validate: boolean, r: DecisionRecord): DecisionRecord {
  return validate ? decisionRecordSchema.parse(r) : r;
}

/** Merges several series by time. */
export function mergeSeries(...series: DecisionRecord[][]): DecisionRecord[] {
  return series.flat().sort((a, b) => a.time.localeCompare(b.time));
}
