import type { SpecificationVersion } from './specification.js';

/** What a request asks to reserve before its call. */
export interface ReserveRequest {
  tenant: string;
  /** Unique per reservation (the engine's request id; `<id>:downgraded` for a re-reservation). */
  requestId: string;
  /** Predicted full cost of the request at its upper output estimate, micro-dollars (non-negative integer). */
  micros: number;
  /** Prompt tokens + upper output estimate (non-negative integer). */
  tokens: number;
  tags?: readonly string[];
}

export interface Reservation {
  id: string;
  tenant: string;
  micros: number;
  tokens: number;
  /** Fraction of the tightest budget consumed after this reservation, 0…1 (0 when unbounded). */
  usedFraction: number;
}

/**
 * Error codes a BudgetStore may throw (as {@link TollgateError} subclasses with these `code`s):
 * - `budget_exceeded` — {@link BudgetExceededError} from `reserve`: some budget cannot cover the request;
 *   nothing was held. Carries `needed`, `remaining`, `retryAfterMs` (undefined when it can never fit).
 * - `invalid_request` — {@link ValidationError}: an amount is not a non-negative safe integer.
 * - `store_unavailable` — {@link StoreUnavailableError}: a shared store could not answer (the engine's
 *   `onStoreUnavailable` policy decides between failing the request and going on).
 */
export type BudgetStoreErrorCode = 'budget_exceeded' | 'invalid_request' | 'store_unavailable';

/**
 * BudgetStore — per-tenant spend, reserved before a call and settled after it.
 *
 * Implementations used by more than one process (Redis, PostgreSQL) must make each operation atomic
 * across processes; in-process ones (memory) need only be safe for concurrent async calls. Overspend is
 * bounded by (actual − reserved) of the requests in flight. Contract suite: `budgetStoreContract`.
 */
export interface BudgetStore {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  /**
   * Called once per request after routing and rate limits, before the model call (and again after a
   * near-limit downgrade re-routes). Atomically checks that every budget that applies to the tenant (and
   * tags) can cover `micros` and `tokens`, holds them, and returns the reservation with `usedFraction` (what
   * the near-limit actions are chosen by). Re-reserving an id already held returns it without charging
   * twice. Throws `budget_exceeded` (nothing held), `invalid_request`, `store_unavailable`.
   */
  reserve(req: ReserveRequest): Promise<Reservation>;
  /**
   * Optional: each budget that applies to the tenant with its limit, used (settled + held) and
   * remaining amount (µ$ for money budgets, tokens for token budgets). Called off the request path for
   * the remaining-budget gauge and dashboards; may throw `store_unavailable`.
   */
  usage?(tenant: string): Promise<{ dimension: 'micros' | 'tokens'; limit: number; used: number; remaining: number }[]>;
  /**
   * Called once after a model answered: replaces the reservation with the actual cost (which may be higher
   * or lower) exactly once; settling twice or after a refund is a no-op. Never refuses (the money is spent).
   * Throws only `invalid_request` or `store_unavailable` (safe to retry: idempotent).
   */
  settle(reservation: Reservation, actual: { micros: number; tokens: number }): Promise<void>;
  /** Called when the request failed or was refused after reserving: releases the hold. Idempotent; throws only `store_unavailable`. */
  refund(reservation: Reservation): Promise<void>;
  /**
   * Optional (stores that can be unreachable, i.e. Redis): the actual spend of request `req.requestId`.
   * If the store holds a reservation with that id it is settled at `req.micros` / `req.tokens`; otherwise
   * those amounts are charged to every budget of the tenant (and tags) without any limit check.
   * Idempotent on `req.requestId`. The engine calls it when the store answers again, for settles that
   * failed and for spend made while it could not answer (`onStoreUnavailable: fail-open`).
   */
  recordSpend?(req: ReserveRequest): Promise<void>;
}
