/**
 * k-nearest-neighbour quality estimates: each model's success rate among the k most similar labeled
 * prompts, weighted by exp(similarity / temperature) and smoothed toward the model's overall rate
 * (`smoothing` pseudo-observations at the prior, counted against a weight of 1 for the nearest
 * neighbour), and the exact top-k search used both while training and at run time (over vectors
 * loaded from the artefact's LanceDB table). Pure.
 */

export interface Neighbour {
  /** Row of the labeled set. */
  row: number;
  /** Cosine similarity to the query. */
  score: number;
}

export interface KnnParams {
  k: number;
  temperature: number;
  smoothing: number;
}

export const DEFAULT_KNN: KnnParams = { k: 100, temperature: 0.05, smoothing: 2 };

/**
 * Per-model success probability from neighbours. `labels[row][j]` is model j's score on that row,
 * `priors[j]` model j's overall rate.
 */
export function knnEstimate(neighbours: readonly Neighbour[], labels: readonly (readonly number[])[], priors: readonly number[], params: KnnParams): number[] {
  const out = priors.map((p) => p * params.smoothing);
  let total = params.smoothing;
  if (neighbours.length) {
    const top = Math.max(...neighbours.map((n) => n.score));
    for (const n of neighbours) {
      const w = Math.exp((n.score - top) / params.temperature); // shifted for stability; ratios unchanged
      total += w;
      const l = labels[n.row]!;
      for (let j = 0; j < out.length; j++) out[j] += w * l[j]!;
    }
  }
  return out.map((x) => x / total);
}

/** Dot product of `query` with row `row` of a row-major matrix of `dim` columns (4-way unrolled). */
function dotRow(matrix: Float32Array, row: number, query: Float32Array, dim: number): number {
  const o = row * dim;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  let j = 0;
  for (; j + 3 < dim; j += 4) {
    a0 += matrix[o + j]! * query[j]!;
    a1 += matrix[o + j + 1]! * query[j + 1]!;
    a2 += matrix[o + j + 2]! * query[j + 2]!;
    a3 += matrix[o + j + 3]! * query[j + 3]!;
  }
  for (; j < dim; j++) a0 += matrix[o + j]! * query[j]!;
  return a0 + a1 + a2 + a3;
}

/**
 * Exact top-k by dot product over a row-major matrix (vectors are unit length, so dot = cosine),
 * best first; ties: lower row first. O(n·dim + n·log k).
 */
export function topKNeighbours(query: Float32Array, matrix: Float32Array, dim: number, k: number): Neighbour[] {
  const n = matrix.length / dim;
  const size = Math.min(k, n);
  if (size <= 0) return [];
  // Min-heap (by score; among equal scores the higher row is "smaller") of the best `size` rows.
  const hs = new Float64Array(size);
  const hr = new Int32Array(size);
  let len = 0;
  for (let r = 0; r < n; r++) {
    const s = dotRow(matrix, r, query, dim);
    if (len < size) {
      let i = len++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (hs[p]! < s || (hs[p] === s && hr[p]! > r)) break;
        hs[i] = hs[p]!;
        hr[i] = hr[p]!;
        i = p;
      }
      hs[i] = s;
      hr[i] = r;
    } else if (s > hs[0]!) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const c = l + 1 < size && (hs[l + 1]! < hs[l]! || (hs[l + 1] === hs[l] && hr[l + 1]! > hr[l]!)) ? l + 1 : l;
        if (hs[c]! > s) break;
        hs[i] = hs[c]!;
        hr[i] = hr[c]!;
        i = c;
      }
      hs[i] = s;
      hr[i] = r;
    }
  }
  const out: Neighbour[] = [];
  for (let i = 0; i < len; i++) out.push({ row: hr[i]!, score: hs[i]! });
  return out.sort((a, b) => b.score - a.score || a.row - b.row);
}

/** Packs unit vectors into one row-major matrix. */
export function packRows(vectors: readonly Float32Array[], dim: number): Float32Array {
  const m = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => m.set(v, i * dim));
  return m;
}
