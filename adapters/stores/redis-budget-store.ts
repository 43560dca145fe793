import type { Redis } from 'ioredis';
import type { Policy } from '../../policies/schema.js';
import type { BudgetStore, Reservation, ReserveRequest } from '../../engine/seams/budget-store.js';
import { budgetRefusal } from '../../engine/budget-exceeded.js';
import { checkAmounts, describeUsage, planBudgets, type BudgetPlan, type BudgetScope, type BudgetUsage } from '../../engine/budget-plan.js';
import type { BucketAmount } from '../../engine/budget-windows.js';
import { StoreUnavailableError } from '../../engine/store-errors.js';
import { RELEASE_LUA, RESERVE_LUA } from './lua/budget-scripts.js';
import { DEFAULT_REDIS_OPERATION_TIMEOUT_MS, withDeadline } from './redis-deadline.js';

export interface RedisBudgetStoreOptions {
  /**
   * The ioredis client (owned by the caller, who connects and quits it). Create it with
   * `createRedisClient(url)` (redis-client.ts) for fail-fast timeouts: with ioredis defaults a command
   * waits in the offline queue while Redis is down, and the request hangs.
   */
  redis: Redis;
  /** The policy's `tenants` section. */
  tenants: Policy['tenants'];
  /** Prefix of every key this store writes. Default `tollgate:`. */
  keyPrefix?: string;
  /** Epoch-ms clock (inject in tests). All processes sharing a budget should have synced clocks. */
  clock?: () => number;
  /**
   * How long a reservation may stay held before a later reserve releases it (the call is presumed lost,
   * e.g. its process crashed). Must exceed the longest request (retries and fallbacks included).
   * A settle arriving after that still counts its actual cost in full. Default 15 minutes.
   */
  holdTimeoutMs?: number;
  /** Lifetime of a reservation's record while held (must exceed `holdTimeoutMs`). Default 24 h. */
  reservationTtlMs?: number;
  /** How long a settled/refunded reservation is remembered for idempotency. Default 24 h. */
  doneTtlMs?: number;
  /**
   * Deadline of each Redis operation, whatever the client's own options: past it the operation fails
   * with `store_unavailable`. Default 2 s (`createRedisClient` also sets a 1 s command timeout). 0: none.
   */
  operationTimeoutMs?: number;
}

type ReserveReply = [1, string] | [2, string, string, string, string] | [0, number, string, string[]];

interface BudgetCommands {
  tollgateBudgetReserveV1(numKeys: number, ...args: (string | number)[]): Promise<ReserveReply>;
  tollgateBudgetReleaseV1(numKeys: number, ...args: (string | number)[]): Promise<number>;
}

/**
 * Redis-backed {@link BudgetStore}: one budget shared exactly by any number of processes. `reserve`,
 * `settle` and `refund` are each a single Lua script (loaded once, run by EVALSHA through ioredis
 * `defineCommand`), so check-and-hold is atomic across processes and overspend is bounded as
 * documented in docs/budgets.md. Window arithmetic is `engine/budget-windows.ts`, shared with
 * `MemoryBudgetStore`. Idempotency: reserving a known request id returns the earlier reservation;
 * settling or refunding twice is a no-op. Redis failures throw {@link StoreUnavailableError}.
 */
export class RedisBudgetStore implements BudgetStore {
  readonly specificationVersion = 'v1' as const;
  private readonly redis: Redis & BudgetCommands;
  private readonly tenants: Policy['tenants'];
  private readonly prefix: string;
  private readonly clock: () => number;
  private readonly reservationTtlMs: number;
  private readonly holdTimeoutMs: number;
  private readonly doneTtlMs: number;
  private readonly opMs: number;

  constructor(options: RedisBudgetStoreOptions) {
    this.tenants = options.tenants;
    this.prefix = options.keyPrefix ?? 'tollgate:';
    this.clock = options.clock ?? Date.now;
    this.reservationTtlMs = options.reservationTtlMs ?? 24 * 3_600_000;
    this.holdTimeoutMs = options.holdTimeoutMs ?? 15 * 60_000;
    this.doneTtlMs = options.doneTtlMs ?? 24 * 3_600_000;
    this.opMs = options.operationTimeoutMs ?? DEFAULT_REDIS_OPERATION_TIMEOUT_MS;
    const redis = options.redis as Redis & Partial<BudgetCommands>;
    if (!redis.tollgateBudgetReserveV1) redis.defineCommand('tollgateBudgetReserveV1', { lua: RESERVE_LUA });
    if (!redis.tollgateBudgetReleaseV1) redis.defineCommand('tollgateBudgetReleaseV1', { lua: RELEASE_LUA });
    this.redis = redis as Redis & BudgetCommands;
  }

  async reserve(req: ReserveRequest): Promise<Reservation> {
    checkAmounts('reservation', req.micros, req.tokens);
    const now = this.clock();
    const plan = planBudgets(req.tenant, this.tenants[req.tenant], req.tags ?? [], now);
    const keys = [this.reservationKey(req.tenant, req.requestId), this.heldKey(req.tenant), ...plan.scopes.map((s) => this.counterKey(s))];
    const args: (string | number)[] = [req.micros, req.tokens, now, this.reservationTtlMs, now + this.holdTimeoutMs];
    for (const s of plan.scopes) args.push(s.bucket.index, s.bucket.minIndex, s.bucket.expireAt);
    args.push(plan.checks.length);
    for (const c of plan.checks) args.push(c.scope + 1, c.dimension === 'micros' ? 'm' : 't', c.limit);
    let reply: ReserveReply;
    try {
      reply = await withDeadline(this.redis.tollgateBudgetReserveV1(keys.length, ...keys, ...args), this.opMs);
    } catch (err) {
      throw new StoreUnavailableError('redis-budget-store', 'reserve', err);
    }
    const base = { id: req.requestId, tenant: req.tenant };
    if (reply[0] === 1) return { ...base, micros: req.micros, tokens: req.tokens, usedFraction: Number(reply[1]) };
    if (reply[0] === 2) return { ...base, micros: Number(reply[2]), tokens: Number(reply[3]), usedFraction: Number(reply[4]) };
    const check = plan.checks[reply[1] - 1]!;
    const needed = check.dimension === 'micros' ? req.micros : req.tokens;
    const buckets = parseBuckets(reply[3], check.dimension === 'micros' ? 'm' : 't');
    throw budgetRefusal(plan, { ok: false, check, used: Number(reply[2]), needed }, now, buckets);
  }

  /**
   * Charges the actual spend of `req.requestId` once Redis answers again: settles its reservation at
   * these amounts when Redis still holds it; otherwise (spend made while Redis was unreachable under
   * fail-open, or a reservation lost with a Redis restart) runs the reserve script with no limit checks,
   * which holds exactly the actual amounts, and settles it at the same amounts. Idempotent on
   * `req.requestId` (a repeat finds the settled reservation and changes nothing).
   */
  async recordSpend(req: ReserveRequest): Promise<void> {
    checkAmounts('settlement', req.micros, req.tokens);
    const known = await this.release({ id: req.requestId, tenant: req.tenant, micros: req.micros, tokens: req.tokens, usedFraction: 0 }, req.micros, req.tokens, 'settled');
    if (known !== 0) return; // settled now, or already settled/refunded
    const now = this.clock();
    const plan = planBudgets(req.tenant, this.tenants[req.tenant], req.tags ?? [], now);
    const keys = [this.reservationKey(req.tenant, req.requestId), this.heldKey(req.tenant), ...plan.scopes.map((s) => this.counterKey(s))];
    const args: (string | number)[] = [req.micros, req.tokens, now, this.reservationTtlMs, now + this.holdTimeoutMs];
    for (const s of plan.scopes) args.push(s.bucket.index, s.bucket.minIndex, s.bucket.expireAt);
    args.push(0); // no checks: the spend happened
    try {
      await withDeadline(this.redis.tollgateBudgetReserveV1(keys.length, ...keys, ...args), this.opMs);
    } catch (err) {
      throw new StoreUnavailableError('redis-budget-store', 'record', err);
    }
    await this.release({ id: req.requestId, tenant: req.tenant, micros: req.micros, tokens: req.tokens, usedFraction: 0 }, req.micros, req.tokens, 'settled');
  }

  async settle(reservation: Reservation, actual: { micros: number; tokens: number }): Promise<void> {
    checkAmounts('settlement', actual.micros, actual.tokens);
    await this.release(reservation, actual.micros, actual.tokens, 'settled');
  }

  async refund(reservation: Reservation): Promise<void> {
    await this.release(reservation, 0, 0, 'refunded');
  }


  /** Every budget of the tenant (all tags) with its live usage (settled plus held). */
  async usage(tenant: string): Promise<BudgetUsage[]> {
    const plan: BudgetPlan = planBudgets(tenant, this.tenants[tenant], undefined, this.clock());
    let hashes: Record<string, string>[];
    try {
      hashes = await withDeadline(Promise.all(plan.scopes.map((s) => this.redis.hgetall(this.counterKey(s)))), this.opMs);
    } catch (err) {
      throw new StoreUnavailableError('redis-budget-store', 'usage', err);
    }
    const usage = plan.scopes.map((s, j) => {
      const total = { micros: 0, tokens: 0 };
      for (const [field, value] of Object.entries(hashes[j]!)) {
        if (Number(field.slice(2)) < s.bucket.minIndex) continue;
        total[field[0] === 'm' ? 'micros' : 'tokens'] += Number(value);
      }
      return total;
    });
    return describeUsage(plan, usage);
  }

  /** The Redis key holding a reservation's record (exposed for tests and operators). */
  reservationKey(tenant: string, requestId: string): string {
    return `${this.prefix}{${encodeURIComponent(tenant)}}:r:${requestId}`;
  }

  /** The Redis sorted set of a tenant's held reservations, scored by hold deadline. */
  heldKey(tenant: string): string {
    return `${this.prefix}{${encodeURIComponent(tenant)}}:held`;
  }

  /** The Redis key of one budget counter (exposed for tests and operators). */
  counterKey(scope: BudgetScope): string {
    const tag = scope.tag === undefined ? '*' : encodeURIComponent(scope.tag);
    return `${this.prefix}{${encodeURIComponent(scope.tenant)}}:b:${tag}:${scope.bucket.window}:${scope.bucket.period}`;
  }

  /** 1 when applied, 0 for an unknown reservation, -1 when it was already settled or refunded. */
  private async release(reservation: Reservation, micros: number, tokens: number, state: 'settled' | 'refunded'): Promise<number> {
    const key = this.reservationKey(reservation.tenant, reservation.id);
    try {
      return await withDeadline(this.redis.tollgateBudgetReleaseV1(2, key, this.heldKey(reservation.tenant), micros, tokens, this.clock(), this.doneTtlMs, state), this.opMs);
    } catch (err) {
      throw new StoreUnavailableError('redis-budget-store', state === 'settled' ? 'settle' : 'refund', err);
    }
  }
}

function parseBuckets(flat: readonly string[], dim: 'm' | 't'): BucketAmount[] {
  const out: BucketAmount[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const field = flat[i]!;
    if (field[0] === dim) out.push({ index: Number(field.slice(2)), amount: Number(flat[i + 1]) });
  }
  return out;
}
