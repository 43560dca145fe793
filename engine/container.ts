/**
 * Service identifiers for the seams. The engine asks an inversify container for these and never imports a
 * concrete implementation; the composition root (compose.ts) is the only place that binds them, as one
 * container module per deployment profile (core, memory, redis, postgres). A backend rebinds a seam with
 * `createTollgate({ container: (c) => { c.rebind(TOKENS.Cache).toConstantValue(myCache); } })`.
 */
export const TOKENS = {
  Policy: Symbol.for('tollgate.CompiledPolicy'),
  Classifier: Symbol.for('tollgate.RequestClassifier'),
  ModelAdapters: Symbol.for('tollgate.ModelAdapters'),
  PriceCatalog: Symbol.for('tollgate.PriceCatalog'),
  BudgetStore: Symbol.for('tollgate.BudgetStore'),
  RateLimiter: Symbol.for('tollgate.RateLimiter'),
  Cache: Symbol.for('tollgate.Cache'),
  DecisionSink: Symbol.for('tollgate.DecisionSink'),
  Clock: Symbol.for('tollgate.Clock'),
  /** `(ms) => Promise<void>`: how the engine waits (throttle actions, retry backoff). */
  Sleep: Symbol.for('tollgate.Sleep'),
  Observers: Symbol.for('tollgate.Observers'),
  /** IdempotencyStore: first answers of requests with a client id (engine/idempotency.ts). */
  IdempotencyStore: Symbol.for('tollgate.IdempotencyStore'),
  /** Idempotency retention window, ms. */
  IdempotencyRetentionMs: Symbol.for('tollgate.IdempotencyRetentionMs'),
  /** DeferredQueue: deferrable work sent through vendor batch APIs (engine/seams/deferred-queue.ts); optional. */
  DeferredQueue: Symbol.for('tollgate.DeferredQueue'),
} as const;

export type Token = (typeof TOKENS)[keyof typeof TOKENS];
