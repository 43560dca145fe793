/**
 * Bounds a label's cardinality: the first `max` distinct values (values listed in `known` first, e.g.
 * the policy's tenants) keep their own label; every later value is reported as `other`. Values are
 * never reassigned, so a series never changes meaning while the process runs.
 */
export class LabelLimiter {
  private readonly kept = new Set<string>();

  constructor(
    readonly max: number,
    known: Iterable<string> = [],
    readonly overflow = 'other',
  ) {
    for (const v of known) if (this.kept.size < max) this.kept.add(v);
  }

  label(value: string): string {
    if (this.kept.has(value)) return value;
    if (this.kept.size < this.max) {
      this.kept.add(value);
      return value;
    }
    return this.overflow;
  }
}
