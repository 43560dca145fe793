/**
 * Centred PCA by cyclic Jacobi eigen-decomposition of the covariance matrix (deterministic: no
 * random start, fixed sweep order). Fine for the 512 × 512 covariance of a distilled table.
 */
export interface PcaResult {
  mean: Float64Array;
  /** Row-major [inputDim × outputDim]: column k is the k-th principal axis (sign fixed: largest |entry| positive). */
  components: Float64Array;
  /** Variance along each kept axis, descending. */
  variances: number[];
  explainedRatio: number;
}

function jacobiEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
}

/** Fits PCA on `rows` (row-major [count × dim]) keeping `outputDim` axes. */
export function fitPca(rows: Float32Array, count: number, dim: number, outputDim: number): PcaResult {
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let j = 0; j < dim; j++) mean[j] += rows[r * dim + j] / count;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < dim; j++) centred[j] = rows[r * dim + j] - mean[j];
    for (let i = 0; i < dim; i++) {
      const ci = centred[i] / count;
      for (let j = i; j < dim; j++) cov[i * dim + j] += ci * centred[j];
    }
  }
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) cov[i * dim + j] = cov[j * dim + i];
  const { values, vectors } = jacobiEigen(cov, dim);
  const order = [...values.keys()].sort((x, y) => values[y] - values[x]).slice(0, outputDim);
  const components = new Float64Array(dim * outputDim);
  order.forEach((axis, k) => {
    let big = 0;
    for (let i = 0; i < dim; i++) if (Math.abs(vectors[i * dim + axis]) > Math.abs(big)) big = vectors[i * dim + axis];
    const sign = big < 0 ? -1 : 1;
    for (let i = 0; i < dim; i++) components[i * outputDim + k] = sign * vectors[i * dim + axis];
  });
  const total = values.reduce((s, x) => s + Math.max(x, 0), 0);
  const variances = order.map((axis) => values[axis]);
  return { mean, components, variances, explainedRatio: variances.reduce((s, x) => s + x, 0) / total };
}

/** Projects `rows` onto the PCA axes: (row − mean) · components. */
export function projectPca(rows: Float32Array, count: number, pca: PcaResult): Float32Array {
  const dim = pca.mean.length;
  const outputDim = pca.components.length / dim;
  const out = new Float32Array(count * outputDim);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < dim; i++) {
      const x = rows[r * dim + i] - pca.mean[i];
      if (x === 0) continue;
      for (let k = 0; k < outputDim; k++) out[r * outputDim + k] += x * pca.components[i * outputDim + k];
    }
  }
  return out;
}
