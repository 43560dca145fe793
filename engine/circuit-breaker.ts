/**
 * One circuit per model: after `failureThreshold` consecutive retryable failures the circuit opens and
 * the model is skipped for `cooldownMs`; then one trial call is let through (half-open) and its result
 * closes or re-opens the circuit. In-process state (each instance learns on its own).
 */
export class CircuitBreaker {
  private readonly state = new Map<string, { failures: number; openUntil: number; trial: boolean }>();

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call to `model` may go ahead now. Claims the half-open trial slot when the cooldown has passed. */
  allow(model: string): boolean {
    const s = this.state.get(model);
    if (!s || s.failures < this.failureThreshold) return true;
    if (this.now() < s.openUntil || s.trial) return false;
    s.trial = true;
    return true;
  }

  isOpen(model: string): boolean {
    const s = this.state.get(model);
    return !!s && s.failures >= this.failureThreshold && (this.now() < s.openUntil || s.trial);
  }

  success(model: string): void {
    this.state.delete(model);
  }

  failure(model: string): void {
    const s = this.state.get(model) ?? { failures: 0, openUntil: 0, trial: false };
    s.failures += 1;
    s.trial = false;
    if (s.failures >= this.failureThreshold) s.openUntil = this.now() + this.cooldownMs;
    this.state.set(model, s);
  }
}
