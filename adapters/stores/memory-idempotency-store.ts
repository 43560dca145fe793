import type { ClaimOutcome, IdempotencyStore } from '../../engine/seams/idempotency-store.js';

type Entry = { fingerprint: string; expiresAt: number; done: boolean; result?: unknown };

export interface MemoryIdempotencyStoreOptions {
  /** Most keys kept (oldest dropped first). Default 10,000. */
  maxEntries?: number;
  clock?: () => number;
}

/**
 * In-process {@link IdempotencyStore} (the default): a Map in insertion order with expiry, bounded to
 * `maxEntries` (the oldest entry goes first, so under a flood of fresh ids the window can be shorter
 * than configured). Waiters on a pending key are woken when it completes or is released. One process
 * only: replicas behind a load balancer need {@link RedisIdempotencyStore}.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly specificationVersion = 'v1' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private readonly max: number;
  private readonly clock: () => number;

  constructor(o: MemoryIdempotencyStoreOptions = {}) {
    this.max = o.maxEntries ?? 10_000;
    this.clock = o.clock ?? Date.now;
  }

  async claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimOutcome> {
    const now = this.clock();
    const e = this.entries.get(key);
    if (e && e.expiresAt > now) return e.done ? { kind: 'done', fingerprint: e.fingerprint, result: e.result } : { kind: 'pending', fingerprint: e.fingerprint };
    this.set(key, { fingerprint, expiresAt: now + leaseMs, done: false });
    return { kind: 'claimed' };
  }

  async complete(key: string, fingerprint: string, result: unknown, ttlMs: number): Promise<void> {
    this.set(key, { fingerprint, expiresAt: this.clock() + ttlMs, done: true, result });
    this.wake(key);
  }

  async release(key: string, fingerprint: string): Promise<void> {
    const e = this.entries.get(key);
    if (e && !e.done && e.fingerprint === fingerprint) this.entries.delete(key);
    this.wake(key);
  }

  waitFor(key: string, ms: number): Promise<void> {
    const e = this.entries.get(key);
    if (!e || e.done) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const list = this.waiters.get(key) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.waiters.set(key, list);
    });
  }

  get size(): number {
    return this.entries.size;
  }

  private set(key: string, e: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, e);
    if (this.entries.size <= this.max) return;
    const now = this.clock();
    for (const [k, v] of this.entries) {
      if (this.entries.size <= this.max) break;
      if (v.expiresAt <= now || v.done) this.entries.delete(k); // pending claims stay while others can go
    }
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  private wake(key: string): void {
    const list = this.waiters.get(key);
    if (!list) return;
    this.waiters.delete(key);
    for (const w of list) w();
  }
}
