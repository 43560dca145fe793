import type { DecisionRecord } from '../../engine/decision-record.js';

/** A valid decision record with deterministic, varied fields (tenant, model, day, outcome, cache). */
export function sampleRecord(i: number, over: Partial<DecisionRecord> = {}): DecisionRecord {
  const tenants = ['acme', 'globex', 'initech'];
  const models = ['small', 'large'];
  const outcome = i % 17 === 0 ? 'error' : i % 13 === 0 ? 'refused' : 'ok';
  const day = 1 + (i % 3);
  const model = outcome === 'refused' ? undefined : models[i % 2];
  const vendor = outcome === 'ok' ? 100 + (i % 50) * 7 : 0;
  const hit = outcome === 'ok' && i % 11 === 0;
  return {
    v: 1,
    time: `2026-03-0${day}T${String(i % 24).padStart(2, '0')}:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`,
    requestId: `req-${i}`,
    tenant: tenants[i % 3]!,
    tags: i % 5 === 0 ? ['team:x'] : [],
    policy: { name: 'p', version: 'v1' },
    rule: i % 4 === 0 ? 'cheap' : undefined,
    candidates: [],
    chosen: outcome === 'refused' ? undefined : models[i % 2],
    model,
    tier: model ? (i % 7 === 0 ? 'self-hosted' : 'vendor') : undefined,
    fallbacks: i % 9 === 0 ? [{ model: 'large', code: 'timeout' }] : [],
    attempts: outcome === 'refused' ? 0 : 1 + (i % 9 === 0 ? 1 : 0),
    tokens: { input: 20 + (i % 31), output: outcome === 'ok' ? 5 + (i % 19) : 0, cached: i % 6, source: i % 10 === 0 ? 'tokenizer' : 'vendor' },
    predictedCostMicros: 90,
    cost: hit ? { vendor: 0, infra: 0, ops: 0, full: 0 } : { vendor, infra: i % 7 === 0 ? 30 : 0, ops: 5, full: vendor + (i % 7 === 0 ? 30 : 0) + 5 },
    cache: hit ? { hit: true, match: 'exact', savedMicros: 120 } : undefined,
    quality: outcome === 'ok' ? 0.5 + (i % 5) / 10 : undefined,
    latencyMs: 3 + (i % 10),
    outcome,
    error: outcome === 'error' ? { code: 'upstream_error', message: 'boom' } : undefined,
    ...over,
  } as DecisionRecord;
}
