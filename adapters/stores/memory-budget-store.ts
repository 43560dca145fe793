import type { Policy } from '../../policies/schema.js';
import type { BudgetStore, Reservation, ReserveRequest } from '../../engine/seams/budget-store.js';
import { BudgetLimitRefusal, budgetLimitRefusal } from '../../engine/budget-exceeded.js';
import { checkAmounts, describeUsage, evaluatePlan, planBudgets, type BudgetPlan, type BudgetUsage, type ScopeUsage } from '../../engine/budget-plan.js';
import { type BucketAmount, bucketStart, isRolling } from '../../engine/budget-windows.js';

export interface MemoryBudgetStoreOptions {
  /** Epoch-ms clock; inject one in tests to roll windows over. Default `Date.now`. */
  clock?: () => number;
  /** How long a settled/refunded reservation id is remembered (idempotency). Default 24 h. */
  doneTtlMs?: number;
  /**
   * How long a reservation may stay held before a later reserve releases it (its call presumed lost).
   * A settle arriving after that still counts its actual cost in full. Default 15 minutes.
   */
  holdTimeoutMs?: number;
  /**
   * Most settled or refunded reservation ids remembered per tenant (oldest forgotten first), so the memory a
   * busy tenant's ids take stays bounded whatever `doneTtlMs` is. Default 100,000.
   */
  maxRememberedPerTenant?: number;
}

interface Held {
  reservation: Reservation;
  deadline: number;
  /** The counter and bucket each scope was charged to. */
  charges: { scopeId: string; index: number; expireAt: number }[];
}

interface Counter {
  expireAt: number;
  buckets: Map<number, ScopeUsage>;
}

/**
 * In-process {@link BudgetStore}: the embedded default. Exact within one process (JavaScript runs each
 * operation to completion, so check-and-hold is atomic); NOT shared across processes — use
 * `RedisBudgetStore` for that. Windows and buckets come from `engine/budget-windows.ts`, the same
 * arithmetic the Redis store uses.
 *
 * Reservation ids are the request ids: reserving an id that is already held (or was settled within
 * `doneTtlMs`, among the tenant's latest `maxRememberedPerTenant`) returns the earlier reservation without
 * charging again. A reservation no budget applies to is not kept at all (it charges nothing either way).
 */
export class MemoryBudgetStore implements BudgetStore {
  readonly specificationVersion = 'v1' as const;
  private readonly clock: () => number;
  private readonly doneTtlMs: number;
  private readonly holdTimeoutMs: number;
  private readonly maxRemembered: number;
  /** Holds released by timeout, per tenant, then per reservation id (so one tenant's entries never delay another's sweep). */
  private readonly expired = new Map<string, Map<string, { held: Held; until: number }>>();
  private readonly counters = new Map<string, Counter>();
  private readonly held = new Map<string, Held>();
  /** Settled and refunded reservations, per tenant, then per reservation id. */
  private readonly done = new Map<string, Map<string, { reservation: Reservation; until: number }>>();
  /** Reserve calls so far: every {@link SWEEP_EVERY}th one sweeps. */
  private ops = 0;
  /** Per policy tenant without tag-scoped budgets: its last plan and the span of time every bucket of it holds for ({@link planFor}). */
  private readonly plans = new Map<string, CachedPlan>();

  constructor(
    private readonly tenants: Policy['tenants'] = {},
    options: MemoryBudgetStoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.doneTtlMs = options.doneTtlMs ?? 24 * 3_600_000;
    this.holdTimeoutMs = options.holdTimeoutMs ?? 15 * 60_000;
    this.maxRemembered = options.maxRememberedPerTenant ?? 100_000;
  }

  async reserve(req: ReserveRequest): Promise<Reservation> {
    return this.reserveSync(req);
  }

  async settle(reservation: Reservation, actual: { micros: number; tokens: number }): Promise<void> {
    this.settleSync(reservation, actual);
  }

  async refund(reservation: Reservation): Promise<void> {
    this.refundSync(reservation);
  }

  /**
   * {@link reserve} without the promise, for synchronous batch loops (the simulator's fast replay):
   * the same state and the same result, a refusal thrown instead of rejected.
   */
  reserveSync(req: ReserveRequest): Reservation {
    const r = this.reserveOrRefuseSync(req);
    if (r instanceof BudgetLimitRefusal) throw r.toError();
    return r;
  }

  /**
   * {@link reserveSync} with a budget's refusal returned as data rather than thrown (its `toError()`
   * is what `reserveSync` throws), for a synchronous caller that only records it (the simulator's fast
   * replay): the same state and the same result. Invalid amounts still throw a `ValidationError`.
   */
  reserveOrRefuseSync(req: ReserveRequest): Reservation | BudgetLimitRefusal {
    checkAmounts('reservation', req.micros, req.tokens);
    const now = this.clock();
    this.expireHolds(now);
    if (++this.ops % SWEEP_EVERY === 0) this.sweep(now);
    const key = resKey(req.tenant, req.requestId);
    const prior = this.held.get(key)?.reservation ?? this.expired.get(req.tenant)?.get(req.requestId)?.held.reservation ?? this.done.get(req.tenant)?.get(req.requestId)?.reservation;
    if (prior) return prior;
    const plan = this.planFor(req.tenant, req.tags ?? NO_TAGS, now);
    const usage = plan.scopes.map((s) => this.sum(s.id, s.bucket.minIndex));
    const verdict = evaluatePlan(plan, usage, { micros: req.micros, tokens: req.tokens });
    if (!verdict.ok) {
      // A calendar window's retry time is its end (budgetRetryAfterMs reads no bucket): list them for a rolling one only.
      const rolling = isRolling(plan.scopes[verdict.check.scope]!.bucket.window);
      return budgetLimitRefusal(plan, verdict, now, rolling ? this.buckets(plan, verdict.check.scope, verdict.check.dimension) : NO_BUCKETS);
    }
    const reservation: Reservation = { id: req.requestId, tenant: req.tenant, micros: req.micros, tokens: req.tokens, usedFraction: verdict.usedFraction };
    // No budget applies (the tenant has none, or only other tags' ones): nothing to hold, so nothing is kept —
    // a settle or refund of it is the no-op an unknown id is, and a re-reserve charges nothing either. (A
    // gateway whose tenants have no budgets used to keep every request's id for `doneTtlMs`: memory without bound.)
    if (plan.scopes.length === 0) return reservation;
    const charges = plan.scopes.map((s) => ({ scopeId: s.id, index: s.bucket.index, expireAt: s.bucket.expireAt }));
    for (const c of charges) this.add(c, req.micros, req.tokens);
    this.held.set(key, { reservation, charges, deadline: now + this.holdTimeoutMs });
    return reservation;
  }

  /** Whether any budget (dollars or tokens, tenant-wide or for a tag) can ever count or refuse a reservation of `tenant`. */
  hasBudgets(tenant: string): boolean {
    return this.tenants[tenant]?.budgets.some((b) => b.usd !== undefined || b.tokens !== undefined) ?? false;
  }

  /**
   * {@link reserveSync} for a tenant without budgets ({@link hasBudgets} false) that keeps no memory
   * of the reservation, for the simulator's fast replay. For such a tenant every reservation, fresh or
   * remembered, has `usedFraction` 0 and charges nothing, so its settle and refund change nothing but
   * that memory, which only this tenant's later reserves of the same id would read — and they would get
   * an equal answer. Everything else happens as in `reserveSync`: the amounts are checked, expired
   * holds are released, and the call counts toward the periodic sweep, so the store behaves for every
   * other tenant exactly as if `reserveSync` had been called. Do not settle or refund the result
   * (there is nothing to release); check the settled amounts with {@link checkAmounts} instead.
   */
  reserveUnbudgetedSync(req: ReserveRequest): Reservation {
    checkAmounts('reservation', req.micros, req.tokens);
    const now = this.clock();
    this.expireHolds(now);
    if (++this.ops % SWEEP_EVERY === 0) this.sweep(now);
    return { id: req.requestId, tenant: req.tenant, micros: req.micros, tokens: req.tokens, usedFraction: 0 };
  }

  /** {@link settle} without the promise. */
  settleSync(reservation: Reservation, actual: { micros: number; tokens: number }): void {
    checkAmounts('settlement', actual.micros, actual.tokens);
    this.release(reservation, actual);
  }

  /** {@link refund} without the promise. */
  refundSync(reservation: Reservation): void {
    this.release(reservation, { micros: 0, tokens: 0 });
  }

  /** How many reservations are held and how many settled, refunded or expired ids are remembered (tests, diagnostics). */
  memoryEntries(): { held: number; remembered: number } {
    let remembered = 0;
    for (const maps of [this.done, this.expired] as Map<string, Map<string, unknown>>[]) for (const m of maps.values()) remembered += m.size;
    return { held: this.held.size, remembered };
  }

  /** Every budget of the tenant (all tags) with its live usage. */
  async usage(tenant: string): Promise<BudgetUsage[]> {
    const plan = planBudgets(tenant, this.tenants[tenant], undefined, this.clock());
    return describeUsage(plan, plan.scopes.map((s) => this.sum(s.id, s.bucket.minIndex)));
  }

  /**
   * {@link planBudgets} for a reservation, remembered per tenant while its buckets stay the same: a
   * plan depends only on the tenant's budgets, the request's tags (when some budget is tag-scoped;
   * such tenants are planned afresh every time) and, through each budget's bucket, the time. Within
   * `[from, until)` (the latest bucket start, the earliest bucket end; integer times only) every
   * bucket, and so the plan, is the same. Plans are only read, never changed.
   */
  private planFor(tenant: string, tags: readonly string[], now: number): BudgetPlan {
    const cached = this.plans.get(tenant);
    if (cached !== undefined && now >= cached.from && now < cached.until) return cached.plan;
    const spec = this.tenants[tenant];
    const plan = planBudgets(tenant, spec, tags, now);
    if (spec !== undefined && Object.hasOwn(this.tenants, tenant) && Number.isInteger(now) && !spec.budgets.some((b) => b.tag !== undefined)) {
      let from = -Infinity;
      let until = Infinity;
      for (const s of plan.scopes) {
        from = Math.max(from, bucketStart(s.bucket.window, now));
        until = Math.min(until, s.bucket.windowEnd);
      }
      this.plans.set(tenant, { plan, from, until });
    }
    return plan;
  }

  private release(reservation: Reservation, actual: { micros: number; tokens: number }): void {
    const key = resKey(reservation.tenant, reservation.id);
    const live = this.held.get(key);
    const expired = live ? undefined : this.expired.get(reservation.tenant);
    const h = live ?? expired?.get(reservation.id)?.held;
    if (!h) return; // unknown, already settled or refunded: a no-op by contract
    if (live) this.held.delete(key);
    else expired!.delete(reservation.id);
    const dm = actual.micros - (live ? h.reservation.micros : 0);
    const dt = actual.tokens - (live ? h.reservation.tokens : 0);
    if (dm !== 0 || dt !== 0) for (const c of h.charges) this.add(c, dm, dt);
    this.remember(tenantMap(this.done, reservation.tenant), reservation.id, { reservation: h.reservation, until: this.clock() + this.doneTtlMs });
  }

  /** Releases holds past their deadline (oldest first; holds are kept in deadline order). */
  private expireHolds(now: number): void {
    if (this.held.size === 0) return; // the usual case between a reserve and its settle: no iterator
    for (const [key, h] of this.held) {
      if (h.deadline > now) break;
      this.held.delete(key);
      for (const c of h.charges) this.add(c, -h.reservation.micros, -h.reservation.tokens);
      this.remember(tenantMap(this.expired, h.reservation.tenant), h.reservation.id, { held: h, until: now + this.doneTtlMs });
    }
  }

  /** Adds to a tenant's remembered ids, forgetting the oldest past {@link MemoryBudgetStoreOptions.maxRememberedPerTenant}. */
  private remember<T>(map: Map<string, T>, id: string, entry: T): void {
    map.set(id, entry);
    if (map.size > this.maxRemembered) map.delete(map.keys().next().value!);
  }

  private add(charge: Held['charges'][number], micros: number, tokens: number): void {
    let counter = this.counters.get(charge.scopeId);
    if (!counter) this.counters.set(charge.scopeId, (counter = { expireAt: charge.expireAt, buckets: new Map() }));
    counter.expireAt = Math.max(counter.expireAt, charge.expireAt);
    const b = counter.buckets.get(charge.index);
    if (b) {
      b.micros += micros;
      b.tokens += tokens;
    } else counter.buckets.set(charge.index, { micros, tokens });
  }

  /** Sums live buckets of one counter, dropping stale ones. */
  private sum(scopeId: string, minIndex: number): ScopeUsage {
    const total = { micros: 0, tokens: 0 };
    const counter = this.counters.get(scopeId);
    if (!counter) return total;
    for (const [index, b] of counter.buckets) {
      if (index < minIndex) {
        counter.buckets.delete(index);
        continue;
      }
      total.micros += b.micros;
      total.tokens += b.tokens;
    }
    return total;
  }

  private buckets(plan: BudgetPlan, scope: number, dimension: 'micros' | 'tokens'): BucketAmount[] {
    const counter = this.counters.get(plan.scopes[scope]!.id);
    return counter ? [...counter.buckets].map(([index, b]) => ({ index, amount: b[dimension] })) : [];
  }

  private sweep(now: number): void {
    for (const [id, c] of this.counters) if (c.expireAt <= now) this.counters.delete(id);
    // Each tenant's maps are in insertion order with a constant TTL, so its expired entries come first.
    for (const tenants of [this.done, this.expired] as Map<string, Map<string, { until: number }>>[]) {
      for (const [tenant, map] of tenants) {
        for (const [id, d] of map) {
          if (d.until > now) break;
          map.delete(id);
        }
        if (map.size === 0) tenants.delete(tenant);
      }
    }
  }
}

interface CachedPlan {
  plan: BudgetPlan;
  from: number;
  until: number;
}

const NO_TAGS: readonly string[] = [];
const NO_BUCKETS: readonly BucketAmount[] = [];

/** Reserve calls between two sweeps of expired counters and remembered reservations. */
const SWEEP_EVERY = 1_024;

function resKey(tenant: string, id: string): string {
  return `${tenant}\u0000${id}`;
}

function tenantMap<T>(maps: Map<string, Map<string, T>>, tenant: string): Map<string, T> {
  let m = maps.get(tenant);
  if (m === undefined) maps.set(tenant, (m = new Map()));
  return m;
}
