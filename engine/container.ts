import { Container } from 'inversify';

/**
 * Service identifiers for the seams. The engine asks the container for these and never imports a
 * concrete implementation; the composition root (compose.ts) is the only place that binds them.
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
} as const;

export type Token = (typeof TOKENS)[keyof typeof TOKENS];

/** A fresh container with the given constant bindings (undefined values are left unbound). */
export function createContainer(bindings: Partial<Record<Token, unknown>>): Container {
  const c = new Container();
  for (const key of Object.getOwnPropertySymbols(bindings) as Token[]) {
    const value = bindings[key];
    if (value !== undefined) c.bind(key).toConstantValue(value);
  }
  return c;
}
