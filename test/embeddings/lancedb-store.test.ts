import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LanceDbStore, VectorDimensionMismatchError, contentHash, type VectorRecord } from '../../embeddings/index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-lance-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Deterministic pseudo-random unit vector. */
function unitVector(seed: number, dim = 16): Float32Array {
  const v = new Float32Array(dim);
  let x = seed * 2654435761 % 2 ** 32;
  for (let i = 0; i < dim; i++) {
    x = (1103515245 * x + 12345) % 2 ** 31;
    v[i] = x / 2 ** 31 - 0.5;
  }
  const n = Math.hypot(...v);
  return v.map((c) => c / n);
}

describe('LanceDbStore', () => {
  it('never returns another tenant\'s rows: same text, same vector, different tenants, hostile names', async () => {
    const store = await LanceDbStore.open({ dir: await tempDir(), modelVersion: 'm1', dimension: 16, annThreshold: 300 });
    const tenants = ['acme', 'globex', "o'brien", "x' OR '1'='1", 'back\\slash', 'acme ', 'ACME', '%', '_'];
    const text = 'the shared secret question';
    const vector = unitVector(1);
    const hash = contentHash(text);
    await store.upsert(tenants.map((tenant) => ({ tenant, namespace: 'faq', hash, vector, text: `${text} of ${tenant}` })));
    // filler rows so the ANN index gets built, all for other tenants
    const filler: VectorRecord[] = Array.from({ length: 400 }, (_, i) => ({ tenant: `t${i % 7}`, namespace: 'faq', hash: contentHash(`f${i}`), vector: unitVector(i + 10) }));
    await store.upsert(filler);
    expect(await store.hasAnnIndex('faq')).toBe(true);
    for (const tenant of tenants) {
      const matches = await store.search({ tenant, namespace: 'faq', vector, k: 50 });
      expect(matches).toHaveLength(1);
      expect(matches[0].tenant).toBe(tenant);
      expect(matches[0].text).toBe(`${text} of ${tenant}`);
      expect(matches[0].score).toBeCloseTo(1, 4);
      expect([...(await store.existingHashes(tenant, 'faq', [hash]))]).toEqual([hash]);
    }
    expect(await store.search({ tenant: 'nobody', namespace: 'faq', vector, k: 50 })).toEqual([]);
    expect(await store.search({ tenant: 'acme', namespace: 'other', vector, k: 50 })).toEqual([]);
    expect(await store.existingHashes('nobody', 'faq', [hash])).toEqual(new Set());
    await store.close();
  });

  it('several stores (as in several workers) create one table and upsert into it at once without losing a row', async () => {
    for (let round = 0; round < 5; round++) {
      const dir = await tempDir();
      const stores = await Promise.all([0, 1, 2].map(() => LanceDbStore.open({ dir, modelVersion: 'm1', dimension: 16 })));
      const rows = (w: number, b: number): VectorRecord[] => Array.from({ length: 20 }, (_, i) => ({ tenant: 't', namespace: 'ns', hash: contentHash(`w${w}-b${b}-${i}`), vector: unitVector(w * 1000 + b * 50 + i) }));
      const inserted = await Promise.all(stores.map(async (store, w) => {
        let n = 0;
        for (let b = 0; b < 4; b++) n += (await store.upsert(rows(w, b))).inserted;
        return n;
      }));
      expect(inserted).toEqual([80, 80, 80]);
      const check = await LanceDbStore.open({ dir, modelVersion: 'm1', dimension: 16 });
      expect(await check.count('ns')).toBe(240);
      await Promise.all([...stores, check].map((s) => s.close()));
    }
  });

  it('upserts are idempotent, keyed by (tenant, content hash)', async () => {
    const store = await LanceDbStore.open({ dir: await tempDir(), modelVersion: 'm1', dimension: 16 });
    const rows: VectorRecord[] = ['a', 'b', 'c'].map((t, i) => ({ tenant: 'acme', namespace: 'docs', hash: contentHash(t), vector: unitVector(i) }));
    expect(await store.upsert(rows)).toEqual({ inserted: 3 });
    expect(await store.upsert([...rows, rows[0]])).toEqual({ inserted: 0 });
    expect(await store.count('docs')).toBe(3);
    expect(await store.count('docs', 'acme')).toBe(3);
    await store.close();
  });

  it('a dimension mismatch with an existing table or a vector gives a typed error', async () => {
    const dir = await tempDir();
    const store = await LanceDbStore.open({ dir, modelVersion: 'm1', dimension: 16 });
    await store.upsert([{ tenant: 'acme', namespace: 'docs', hash: contentHash('a'), vector: unitVector(1) }]);
    await expect(store.search({ tenant: 'acme', namespace: 'docs', vector: new Float32Array(8) })).rejects.toBeInstanceOf(VectorDimensionMismatchError);
    await store.close();
    const other = await LanceDbStore.open({ dir, modelVersion: 'm1', dimension: 32 });
    const error = await other.count('docs').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VectorDimensionMismatchError);
    expect(error).toMatchObject({ code: 'vector_dimension_mismatch', expected: 16, actual: 32 });
    await other.close();
  });
});
