/**
 * Exponentially weighted moving mean and variance (West/Finch incremental form) with a z-score test.
 * `alpha` is the weight of the newest sample (≈ 2 / (N + 1) for an N-sample memory).
 */
export class EwmaBaseline {
  private mean = 0;
  private variance = 0;
  private n = 0;

  constructor(
    readonly alpha: number,
    /** Samples needed before {@link score} reports `ready`. */
    readonly warmup: number,
  ) {}

  get count(): number {
    return this.n;
  }

  /**
   * How unusual `x` is: `z = (x − mean) / std`, where std is floored at `minStdFraction × mean` so a
   * near-constant series does not make tiny wiggles look infinite.
   */
  score(x: number, minStdFraction = 0.05): { z: number; mean: number; std: number; ready: boolean } {
    const std = Math.max(Math.sqrt(this.variance), Math.abs(this.mean) * minStdFraction, Number.EPSILON);
    return { z: (x - this.mean) / std, mean: this.mean, std, ready: this.n >= this.warmup };
  }

  update(x: number): void {
    if (this.n === 0) {
      this.mean = x;
      this.variance = 0;
    } else {
      const diff = x - this.mean;
      const incr = this.alpha * diff;
      this.mean += incr;
      this.variance = (1 - this.alpha) * (this.variance + diff * incr);
    }
    this.n++;
  }
}
