import { randomUUID } from 'node:crypto';

/** Simulations in flight, each cancellable by id (the page's Cancel button) or by its AbortSignal. */
export class RunRegistry {
  private readonly runs = new Map<string, AbortController>();

  start(): { id: string; signal: AbortSignal; done: () => void } {
    const id = randomUUID();
    const controller = new AbortController();
    this.runs.set(id, controller);
    return { id, signal: controller.signal, done: () => this.runs.delete(id) };
  }

  /** Aborts a run; false when no such run is in flight. */
  cancel(id: string): boolean {
    const c = this.runs.get(id);
    if (!c) return false;
    c.abort(new Error('cancelled'));
    this.runs.delete(id);
    return true;
  }

  get size(): number {
    return this.runs.size;
  }

  cancelAll(): void {
    for (const id of [...this.runs.keys()]) this.cancel(id);
  }
}
