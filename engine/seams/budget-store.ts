/** What a request asks to reserve before its call. */
export interface ReserveRequest {
  tenant: string;
  requestId: string;
  /** Predicted full cost of the request at its upper output estimate, micro-dollars. */
  micros: number;
  /** Prompt tokens + upper output estimate. */
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
 * BudgetStore — per-tenant spend, reserved before a call and settled after it.
 *
 * Contract:
 * - `reserve` atomically checks that every budget that applies to the tenant (and tags) can cover the
 *   reservation and holds it; throws {@link BudgetExceededError} if not (nothing is held then).
 * - `settle` replaces a reservation with the actual cost (which may be higher or lower) exactly once;
 *   settling twice or after a refund is a no-op.
 * - `refund` releases a reservation whose call failed; idempotent.
 * - Implementations used by more than one process (Redis) must make each operation atomic across
 *   processes. Overspend is bounded by (actual − reserved) of requests in flight.
 */
export interface BudgetStore {
  reserve(req: ReserveRequest): Promise<Reservation>;
  /**
   * Optional: each budget that applies to the tenant with its limit, used (settled + held) and
   * remaining amount (µ$ for money budgets, tokens for token budgets). Used for the remaining-budget gauge.
   */
  usage?(tenant: string): Promise<{ dimension: 'micros' | 'tokens'; limit: number; used: number; remaining: number }[]>;
  settle(reservation: Reservation, actual: { micros: number; tokens: number }): Promise<void>;
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
