import { type Actor, assign, createActor, setup } from 'xstate';
import type { TenantSpec } from './budget-plan.js';
import { calendarPeriod, isRolling, windowDurationMs, type BudgetWindow } from './budget-windows.js';
import type { DecisionRecord } from './decision-record.js';
import { limitActionKind } from './limit-actions.js';

/**
 * Where a tenant stands against its budgets — the seed's runbooks (warn the owner, move them to a
 * cheaper tier, slow them down, stop them), automated by the policy's near-limit actions
 * (`tenants[t].actions`, engine/limit-actions.ts) and made visible as one state per tenant.
 */
export type GuardState = 'normal' | 'warned' | 'downgraded' | 'throttled' | 'refused';

export const GUARD_STATES: readonly GuardState[] = ['normal', 'warned', 'downgraded', 'throttled', 'refused'];

/** One tenant's guard as an operator sees it (`GET /v1/tollgate/state`, the on-call view). */
export interface GuardSnapshot {
  tenant: string;
  state: GuardState;
  /** Epoch ms (engine clock) when the tenant entered this state. */
  since: number;
  /** Epoch ms of the latest request that moved or confirmed the state. */
  lastAt: number;
  /** The latest near-limit action as logged (`warn`, `downgrade:distilled`, `throttle:1200ms`, `refuse`), or the refusal code. */
  lastAction?: string;
  /** Epoch ms when every budget window seen so far will have turned: the state falls back to normal then if no request says otherwise. */
  resetAt?: number;
  /** How many times the state changed. */
  transitions: number;
}

interface GuardContext {
  /** The state's name, kept in context so that actions can tell a change from a confirmation. */
  level: GuardState;
  since: number;
  transitions: number;
}

type GuardEvent =
  /** A request's reservation met budget pressure `level` at `at` (a lower level than the state: spend fell back). */
  | { type: 'OBSERVE'; level: GuardState; at: number }
  /** Time passed: at `at ≥ resetAt` the budget windows seen at the latest observation have turned. */
  | { type: 'TICK'; at: number; resetAt: number };

const toLevel = (level: GuardState) => ({
  guard: ({ event }: { event: GuardEvent }) => event.type === 'OBSERVE' && event.level === level,
  target: `.${level}`,
  actions: 'observe' as const,
});

/**
 * The per-tenant guard, an xstate v5 machine on the engine's clock:
 *
 * ```
 * normal ⇄ warned ⇄ downgraded ⇄ throttled ⇄ refused      (OBSERVE: the level the latest reservation met;
 *   ▲                                           │            a level below the state means spend fell back)
 *   └────────────── TICK at ≥ resetAt ◄─────────┘          (the budget windows turned with no request since)
 * ```
 * Any state can move to any other on OBSERVE: a request's level is the near-limit action chosen for its
 * reservation (warn → warned, downgrade → downgraded, throttle → throttled, refuse → refused), a request
 * refused because its budget is spent is `refused`, and one that reserved below every threshold is `normal`.
 */
export const guardMachine = setup({
  types: { context: {} as GuardContext, events: {} as GuardEvent, input: {} as { at: number } },
  guards: {
    windowTurned: ({ event }) => event.type === 'TICK' && event.at >= event.resetAt,
  },
  actions: {
    observe: assign(({ context, event }) => {
      if (event.type !== 'OBSERVE') return {};
      const changed = context.level !== event.level;
      return { level: event.level, since: changed ? event.at : context.since, transitions: context.transitions + (changed ? 1 : 0) };
    }),
    windowTurned: assign(({ context, event }) => ({ level: 'normal' as const, since: event.at, transitions: context.transitions + 1 })),
  },
}).createMachine({
  id: 'guard',
  initial: 'normal',
  context: ({ input }) => ({ level: 'normal' as GuardState, since: input.at, transitions: 0 }),
  on: { OBSERVE: GUARD_STATES.map(toLevel) },
  states: {
    normal: {},
    warned: { on: { TICK: { guard: 'windowTurned', target: 'normal', actions: 'windowTurned' } } },
    downgraded: { on: { TICK: { guard: 'windowTurned', target: 'normal', actions: 'windowTurned' } } },
    throttled: { on: { TICK: { guard: 'windowTurned', target: 'normal', actions: 'windowTurned' } } },
    refused: { on: { TICK: { guard: 'windowTurned', target: 'normal', actions: 'windowTurned' } } },
  },
});

const ACTION_LEVEL: Record<string, GuardState> = { warn: 'warned', downgrade: 'downgraded', throttle: 'throttled', refuse: 'refused' };
const RANK: Record<GuardState, number> = { normal: 0, warned: 1, downgraded: 2, throttled: 3, refused: 4 };

/**
 * The guard level a settled record shows, or `undefined` when it says nothing about the budget (a cache
 * hit, a rate-limit refusal, a request that failed before its reservation).
 */
export function guardLevelOf(r: Pick<DecisionRecord, 'actions' | 'outcome' | 'error' | 'cache'>): { level: GuardState; action?: string } | undefined {
  const code = r.error?.code;
  if (code === 'budget_exceeded' || code === 'budget_action_refused') return { level: 'refused', action: code === 'budget_exceeded' ? code : 'refuse' };
  let best: { level: GuardState; action?: string } | undefined;
  for (const a of r.actions ?? []) {
    const level = ACTION_LEVEL[limitActionKind(a)];
    if (level && (!best || RANK[level] > RANK[best.level])) best = { level, action: a };
  }
  if (best) return best;
  if (r.outcome === 'ok' && !r.cache?.hit) return { level: 'normal' };
  return undefined;
}

/**
 * Every tenant's guard. Fed with each settled record (the engine registers it as an observer; the
 * playground replays a run's log through it). Tenants that never left `normal` cost no actor and no
 * event. In-process state, like the breaker.
 */
export class GuardBook {
  private readonly guards = new Map<string, { actor: Actor<typeof guardMachine>; lastAt: number; lastAction?: string; resetAt: number }>();

  constructor(private readonly tenants: Readonly<Record<string, TenantSpec>>) {}

  /** Feeds one settled record at `at` (engine clock; default the record's time). */
  observeRecord(r: DecisionRecord, at: number = Date.parse(r.time)): void {
    const seen = guardLevelOf(r);
    if (seen) this.observe(r.tenant, seen.level, at, seen.action);
  }

  /** Feeds one observation: the tenant's latest reservation met `level` at `at`. */
  observe(tenant: string, level: GuardState, at: number, action?: string): void {
    let g = this.guards.get(tenant);
    if (!g) {
      if (level === 'normal') return; // nothing to remember
      g = { actor: createActor(guardMachine, { input: { at } }).start(), lastAt: at, resetAt: Infinity };
      this.guards.set(tenant, g);
    }
    const current = g.actor.getSnapshot().value;
    if (level === 'normal' && current === 'normal') return;
    // A confirmation (same level) updates the facts beside the machine; only a change is an event.
    g.lastAt = at;
    g.lastAction = action;
    g.resetAt = this.resetAt(tenant, at);
    if (level !== current) g.actor.send({ type: 'OBSERVE', level, at });
  }

  /** Every tenant's guard at `at` (windows that turned by then fall back to normal first). */
  snapshot(at: number): GuardSnapshot[] {
    return [...this.guards.keys()].sort().map((t) => this.describe(t, at));
  }

  describe(tenant: string, at: number): GuardSnapshot {
    const g = this.guards.get(tenant);
    if (!g) return { tenant, state: 'normal', since: at, lastAt: at, transitions: 0 };
    if (g.actor.getSnapshot().value !== 'normal') g.actor.send({ type: 'TICK', at, resetAt: g.resetAt });
    const s = g.actor.getSnapshot();
    const c = s.context;
    const turned = s.value === 'normal' && c.since > g.lastAt; // the window turned after the last request
    return {
      tenant,
      state: s.value as GuardState,
      since: c.since,
      lastAt: g.lastAt,
      ...(g.lastAction && !turned ? { lastAction: g.lastAction } : {}),
      ...(s.value !== 'normal' && Number.isFinite(g.resetAt) ? { resetAt: g.resetAt } : {}),
      transitions: c.transitions,
    };
  }

  /**
   * When every budget window of the tenant seen at `at` will have turned: a calendar window at its
   * period's end, a rolling window when all of today's spend has slid out of it. Conservative (the
   * latest of them): a guard never shows `normal` while a budget that could still be tight lives on.
   */
  private resetAt(tenant: string, at: number): number {
    let latest = -Infinity;
    for (const b of this.tenants[tenant]?.budgets ?? []) {
      const w = b.window as BudgetWindow;
      const end = isRolling(w) ? at + windowDurationMs(w, at) : this.periodEnd(w, at);
      if (end > latest) latest = end;
    }
    return Number.isFinite(latest) ? latest : Infinity;
  }

  /** End of the UTC day or month holding `at`, cached while `at` stays inside it (this runs per request of a guarded tenant). */
  private readonly periods = new Map<'day' | 'month', { start: number; end: number }>();
  private periodEnd(w: 'day' | 'month', at: number): number {
    let p = this.periods.get(w);
    if (!p || at < p.start || at >= p.end) this.periods.set(w, (p = calendarPeriod(w, at)));
    return p.end;
  }
}
