import { describe, expect, it } from 'vitest';
import { topKNeighbours } from '../../../adapters/classifiers/learned/knn.js';
import { KnnScan } from '../../../adapters/classifiers/learned/knn-scan.js';

function unitRows(n: number, dim: number, seed: number): Float32Array {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const m = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (m[r * dim + j] = next()) ** 2;
    for (let j = 0; j < dim; j++) m[r * dim + j]! /= Math.sqrt(norm);
  }
  return m;
}

describe('KnnScan (onnxruntime top-k)', () => {
  it('finds the same neighbours, in the same order, as the JavaScript scan used in training', async () => {
    const dim = 32;
    const matrix = unitRows(400, dim, 7);
    matrix.copyWithin(5 * dim, 300 * dim, 301 * dim); // rows 5 and 300 equal: ties go to the lower row
    const scan = await KnnScan.create(matrix, dim);
    const queries = [matrix.slice(300 * dim, 301 * dim), ...Array.from({ length: 20 }, (_, i) => unitRows(1, dim, 100 + i))];
    const got = await scan.topK(queries, 25);
    queries.forEach((q, i) => {
      const want = topKNeighbours(q, matrix, dim, 25);
      expect(got[i]!.map((n) => n.row)).toEqual(want.map((n) => n.row));
      got[i]!.forEach((n, j) => expect(n.score).toBeCloseTo(want[j]!.score, 5));
    });
    expect(got[0]!.slice(0, 2).map((n) => n.row)).toEqual([5, 300]);
    expect((await scan.topK([queries[1]!], 1000))[0]).toHaveLength(400); // k above the row count: every row
    expect(await scan.topK([], 5)).toEqual([]);
    await scan.close();
  });
});
