import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CANDIDATE_KEYS, isPlainValidRecord, NESTED_KEYS, RECORD_KEYS } from '../../../adapters/postgres/record-check.js';
import { candidateSchema, decisionRecordSchema } from '../../../engine/decision-record.js';
import { sampleRecord } from '../../support/decision-records.js';

const shapeKeys = (s: z.ZodObject) => Object.keys(s.shape).sort();

/** Every way a field can go wrong, one at a time, on a valid record. */
function mutations(base: Record<string, unknown>): Record<string, unknown>[] {
  const bad: unknown[] = [undefined, null, -1, 1.5, NaN, Infinity, '', 'x', true, [], {}, [1], { a: 1 }];
  const out: Record<string, unknown>[] = [];
  const walk = (obj: Record<string, unknown>, set: (o: Record<string, unknown>) => Record<string, unknown>) => {
    for (const k of Object.keys(obj)) {
      for (const b of bad) out.push(set({ ...obj, [k]: b }));
      const v = obj[k];
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, (o) => set({ ...obj, [k]: o }));
      if (Array.isArray(v) && v[0] && typeof v[0] === 'object') walk(v[0] as Record<string, unknown>, (o) => set({ ...obj, [k]: [o, ...v.slice(1)] }));
    }
    out.push(set({ ...obj, extra: 1 }));
  };
  walk(base, (o) => o);
  return out;
}

describe('isPlainValidRecord (the sink\'s fast check)', () => {
  it('knows exactly the schema\'s fields (fails when the schema changes, so the check is updated with it)', () => {
    expect([...RECORD_KEYS].sort()).toEqual(shapeKeys(decisionRecordSchema));
    expect([...CANDIDATE_KEYS].sort()).toEqual(shapeKeys(candidateSchema));
    const shape = decisionRecordSchema.shape;
    expect([...NESTED_KEYS.tokens].sort()).toEqual(shapeKeys(shape.tokens));
    expect([...NESTED_KEYS.cost].sort()).toEqual(shapeKeys(shape.cost));
    expect([...NESTED_KEYS.parts].sort()).toEqual(shapeKeys((shape.cost.shape.parts as unknown as z.ZodOptional<z.ZodObject>).unwrap()));
  });

  it('accepts nothing zod rejects, and accepts the records the engine writes', () => {
    let accepted = 0;
    for (let i = 0; i < 60; i++) {
      const withParts = i % 4 === 1 ? { tokens: { input: 90, output: 20, cached: 10, cacheWrite: 5, cacheWrite1h: 2, reasoning: 4, precountDelta: -3, source: 'vendor' as const }, cost: { vendor: 100, infra: 0, ops: 5, full: 105, parts: { input: 40, cachedInput: 5, cacheWrite: 15, output: 40 } }, serviceTier: 'flex' } : {};
      const rec = decisionRecordSchema.parse(sampleRecord(i, i % 4 === 1 ? withParts : i % 3 === 0 ? { candidates: [{ model: 'm', tier: 'vendor', predictedCostMicros: 5, predictedQuality: 0.5, eligible: true }], actions: ['warn'], classification: { task: 't', complexity: 0.4, predictedOutputTokens: 9, source: 'rules' } } : {})) as unknown as Record<string, unknown>;
      expect(isPlainValidRecord(rec)).toBe(true);
      for (const m of mutations(rec)) {
        if (!isPlainValidRecord(m)) continue;
        accepted++;
        expect(decisionRecordSchema.safeParse(m).success, JSON.stringify(m)).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(0); // some mutations stay valid (e.g. an optional field removed)
  });
});
