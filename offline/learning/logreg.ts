/**
 * L2-regularised logistic regression, fitted with Böhning's bounded-Hessian (MM) iteration: the
 * logistic Hessian is bounded by XᵀX/4, so θ ← θ − (XᵀX/(4n) + λI)⁻¹ ∇L decreases the loss at every
 * step. The bound is factored once (Cholesky) and reused across iterations, models and — through
 * {@link gramMatrix} — across λ values. Exact arithmetic order, no randomness: deterministic.
 * Labels may be soft (scores in [0, 1]); loss = mean cross-entropy + (λ/2)‖w‖² (bias unpenalised).
 */

export interface LogRegModel {
  /** Weights, one per feature. */
  weights: Float64Array;
  bias: number;
}

export interface LogRegOptions {
  /** L2 strength λ (per example). Default 1e-2. */
  l2?: number;
  /** Iterations at most. Default 500. */
  maxIter?: number;
  /** Stop when the largest parameter step is below this. Default 1e-6. */
  tol?: number;
  /** Precomputed {@link gramMatrix} of the same rows (saves the O(n·d²) pass). */
  gram?: Float64Array;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Probability of the positive class for one feature vector. */
export function predictLogReg(model: LogRegModel, x: ArrayLike<number>): number {
  let z = model.bias;
  const w = model.weights;
  for (let j = 0; j < w.length; j++) z += w[j]! * x[j]!;
  return sigmoid(z);
}

/** Lower triangle of [X 1]ᵀ[X 1] / n, (d+1)×(d+1) row-major. */
export function gramMatrix(xs: readonly ArrayLike<number>[]): Float64Array {
  const n = xs.length;
  const d = xs[0]!.length;
  const p = d + 1;
  const g = new Float64Array(p * p);
  const row = new Float64Array(p);
  for (const x of xs) {
    for (let j = 0; j < d; j++) row[j] = x[j]!;
    row[d] = 1;
    for (let j = 0; j < p; j++) {
      const rj = row[j]!;
      const base = j * p;
      for (let k = 0; k <= j; k++) g[base + k] += rj * row[k]!;
    }
  }
  for (let i = 0; i < g.length; i++) g[i] = g[i]! / n;
  return g;
}

/** Fits one model. `xs` are feature rows (all the same length), `ys` labels in [0, 1]. */
export function fitLogReg(xs: readonly ArrayLike<number>[], ys: readonly number[], options: LogRegOptions = {}): LogRegModel {
  const n = xs.length;
  if (n === 0 || ys.length !== n) throw new RangeError('fitLogReg: need as many labels as rows, at least one');
  const d = xs[0]!.length;
  const p = d + 1;
  const l2 = options.l2 ?? 1e-2;
  const g = options.gram ?? gramMatrix(xs);
  const bound = new Float64Array(p * p);
  for (let j = 0; j < p; j++) for (let k = 0; k <= j; k++) bound[j * p + k] = g[j * p + k]! / 4 + (j === k ? (j < d ? l2 : 1e-8) : 0);
  const chol = cholesky(bound, p);
  const theta = new Float64Array(p);
  const grad = new Float64Array(p);
  for (let iter = 0; iter < (options.maxIter ?? 500); iter++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      let z = theta[d]!;
      for (let j = 0; j < d; j++) z += theta[j]! * x[j]!;
      const r = sigmoid(z) - ys[i]!;
      for (let j = 0; j < d; j++) grad[j] += r * x[j]!;
      grad[d] += r;
    }
    for (let j = 0; j < p; j++) grad[j] = grad[j]! / n + (j < d ? l2 * theta[j]! : 0);
    const step = solve(chol, grad, p);
    let maxStep = 0;
    for (let j = 0; j < p; j++) {
      theta[j] -= step[j]!;
      maxStep = Math.max(maxStep, Math.abs(step[j]!));
    }
    if (maxStep < (options.tol ?? 1e-6)) break;
  }
  return { weights: theta.slice(0, d), bias: theta[d]! };
}

/** Cholesky factor L (lower, row-major) of a symmetric positive-definite matrix given by its lower triangle. */
function cholesky(h: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = h[i * p + j]!;
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
      l[i * p + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * p + j]!;
    }
  }
  return l;
}

/** Solves L·Lᵀ·x = b. */
function solve(l: Float64Array, b: Float64Array, p: number): Float64Array {
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * y[k]!;
    y[i] = s / l[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!;
    x[i] = s / l[i * p + i]!;
  }
  return x;
}
