import { describe, expect, it } from 'vitest';
import type { VectorRecord, VectorStore } from '../../embeddings/vector-store.js';
import { itSpeaksV1 } from './specification.js';

/** Builds an empty store for `dimension`-long vectors of model version `modelVersion`. */
type Make = (o: { dimension: number; modelVersion: string }) => Promise<VectorStore>;

const DIM = 8;
/** A unit vector pointing mostly along axis `i` (a little along the next one, so neighbours are ranked). */
function unit(i: number, tilt = 0.1): Float32Array {
  const v = new Float32Array(DIM);
  v[i % DIM] = 1;
  v[(i + 1) % DIM] = tilt;
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
let ns = 0;
const rec = (tenant: string, namespace: string, i: number, extra: Partial<VectorRecord> = {}): VectorRecord => ({ tenant, namespace, hash: `h${i}`, vector: unit(i), id: `id-${i}`, text: `text ${i}`, ...extra });

/** The behaviour every VectorStore must show (embeddings/vector-store.ts). */
export function vectorStoreContract(name: string, make: Make): void {
  describe(`${name}: VectorStore contract`, () => {
    const open = () => make({ dimension: DIM, modelVersion: 'contract-v1' });
    const namespace = () => `contract_${++ns}`;
    itSpeaksV1(async () => {
      const s = await open();
      await s.close();
      return s;
    });

    it('reports its model version and dimension', async () => {
      const s = await open();
      expect(s.dimension).toBe(DIM);
      expect(s.modelVersion).toBe('contract-v1');
      await s.close();
    });

    it('upsert is idempotent on (tenant, hash) and says how many rows were new', async () => {
      const s = await open();
      const n = namespace();
      expect(await s.upsert([rec('a', n, 0), rec('a', n, 1)])).toEqual({ inserted: 2 });
      expect(await s.upsert([rec('a', n, 1), rec('a', n, 2)])).toEqual({ inserted: 1 });
      expect(await s.upsert([rec('b', n, 1)])).toEqual({ inserted: 1 }); // same hash, other tenant: its own row
      expect(await s.count(n)).toBe(4);
      expect(await s.count(n, 'a')).toBe(3);
      expect([...(await s.existingHashes('a', n, ['h0', 'h2', 'h9']))].sort()).toEqual(['h0', 'h2']);
      expect([...(await s.existingHashes('b', n, ['h0', 'h1']))]).toEqual(['h1']);
      await s.close();
    });

    it("search ranks the tenant's own rows by cosine similarity, honours k and minScore, and never returns another tenant's row", async () => {
      const s = await open();
      const n = namespace();
      await s.upsert([0, 1, 2, 3].map((i) => rec('a', n, i)));
      await s.upsert([0, 1, 2, 3].map((i) => rec('b', n, i, { text: `b's secret ${i}` })));
      const hits = await s.search({ tenant: 'a', namespace: n, vector: unit(1), k: 2 });
      expect(hits).toHaveLength(2);
      expect(hits[0]).toMatchObject({ tenant: 'a', namespace: n, hash: 'h1', id: 'id-1', text: 'text 1' });
      expect(hits[0]!.score).toBeCloseTo(1, 4);
      expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
      const all = await s.search({ tenant: 'a', namespace: n, vector: unit(1), k: 100 });
      expect(all.every((h) => h.tenant === 'a')).toBe(true);
      expect(all).toHaveLength(4);
      const close = await s.search({ tenant: 'a', namespace: n, vector: unit(1), k: 100, minScore: 0.9 });
      expect(close.map((h) => h.hash)).toEqual(['h1']);
      expect(await s.search({ tenant: "a' OR tenant = 'b", namespace: n, vector: unit(1) })).toEqual([]); // no input widens the tenant filter
      expect(await s.search({ tenant: 'nobody', namespace: n, vector: unit(1) })).toEqual([]);
      await s.close();
    });

    it('an unknown namespace is empty', async () => {
      const s = await open();
      const n = namespace();
      expect(await s.count(n)).toBe(0);
      expect(await s.search({ tenant: 'a', namespace: n, vector: unit(0) })).toEqual([]);
      expect((await s.existingHashes('a', n, ['h0'])).size).toBe(0);
      await s.close();
    });

    it('refuses a vector of another dimension with vector_dimension_mismatch', async () => {
      const s = await open();
      const n = namespace();
      await s.upsert([rec('a', n, 0)]);
      await expect(s.upsert([{ ...rec('a', n, 1), vector: new Float32Array(DIM + 1) }])).rejects.toMatchObject({ code: 'vector_dimension_mismatch' });
      await expect(s.search({ tenant: 'a', namespace: n, vector: new Float32Array(DIM - 1) })).rejects.toMatchObject({ code: 'vector_dimension_mismatch' });
      await s.close();
    });
  });
}
