import { type Actor, assign, createActor, setup } from 'xstate';

/** What one model's circuit is doing. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** How a call let through by the breaker ended, as the breaker sees it. */
export type CallOutcome =
  /** The model answered. */
  | 'success'
  /** A failure that says the model is unhealthy: 5xx, 429, timeout, network error, stream cut by the vendor. */
  | 'failure'
  /** An outcome that says nothing about the model's health: a 4xx for this request, or the caller aborted. */
  | 'neutral';

/** One model's circuit as an operator sees it (`GET /v1/tollgate/state`, the on-call view). */
export interface CircuitSnapshot {
  model: string;
  state: CircuitState;
  /** Consecutive counted failures (reset by a success). */
  failures: number;
  /** Epoch ms until which the circuit stays open (set while open or half-open), on the engine's clock. */
  openUntil?: number;
  /** Whether the half-open trial call is in flight. */
  trialInFlight: boolean;
}

interface CircuitContext {
  failures: number;
  openUntil: number;
  threshold: number;
  cooldownMs: number;
}

type CircuitEvent =
  /** allow(): asks to call the model at `now`. */
  | { type: 'REQUEST'; now: number }
  | { type: 'SUCCESS' }
  /** `trial`: this outcome belongs to the half-open trial call (only it moves a half-open circuit). */
  | { type: 'FAILURE'; now: number; trial: boolean }
  | { type: 'RELEASE'; trial: boolean };

/**
 * One model's circuit, an xstate v5 machine on the engine's clock (no timers: time is the `now` each
 * event carries, so a simulation on trace time runs its cooldown in trace time):
 *
 * ```
 * closed ──failure × threshold──► open ──REQUEST at now ≥ openUntil──► half-open (trial claimed)
 *   ▲                               ▲  ◄──trial failure (openUntil = now + cooldown)──┤
 *   │                               └──◄──trial neutral (4xx, abort: slot released)───┤
 *   └────────────────────────── success ◄───────────────────────────────────────────┘
 * ```
 * A success from any call closes the circuit. While open, requests are refused; while half-open, every
 * request but the trial is refused, and the trial's slot is freed by whatever ends it.
 */
export const circuitMachine = setup({
  types: { context: {} as CircuitContext, events: {} as CircuitEvent, input: {} as { threshold: number; cooldownMs: number } },
  guards: {
    cooldownOver: ({ context, event }) => event.type === 'REQUEST' && event.now >= context.openUntil,
    reachesThreshold: ({ context }) => context.failures + 1 >= context.threshold,
    isTrial: ({ event }) => (event.type === 'FAILURE' || event.type === 'RELEASE') && event.trial,
  },
  actions: {
    reset: assign({ failures: 0, openUntil: 0 }),
    count: assign({ failures: ({ context }) => context.failures + 1 }),
    trip: assign({
      failures: ({ context }) => context.failures + 1,
      openUntil: ({ context, event }) => (event.type === 'FAILURE' ? event.now + context.cooldownMs : context.openUntil),
    }),
  },
}).createMachine({
  id: 'circuit',
  initial: 'closed',
  context: ({ input }) => ({ failures: 0, openUntil: 0, threshold: input.threshold, cooldownMs: input.cooldownMs }),
  states: {
    closed: {
      on: {
        SUCCESS: { actions: 'reset' },
        FAILURE: [{ guard: 'reachesThreshold', target: 'open', actions: 'trip' }, { actions: 'count' }],
      },
    },
    open: {
      on: {
        REQUEST: { guard: 'cooldownOver', target: 'half-open' },
        SUCCESS: { target: 'closed', actions: 'reset' },
      },
    },
    'half-open': {
      on: {
        SUCCESS: { target: 'closed', actions: 'reset' },
        FAILURE: { guard: 'isTrial', target: 'open', actions: 'trip' },
        RELEASE: { guard: 'isTrial', target: 'open' },
      },
    },
  },
});

/**
 * Permission for one model's calls, from {@link CircuitBreaker.allow}. Report each attempt's outcome
 * with `success()` / `failure()`, and call `release()` in a `finally` when done with the model: it frees
 * the half-open trial slot if no outcome did (a 4xx, an abort, a cut stream, an exception). Idempotent.
 */
export interface CircuitTicket {
  readonly model: string;
  /** Whether this ticket holds the half-open trial slot. */
  readonly trial: boolean;
  success(): void;
  failure(): void;
  /** Ends the ticket with `outcome` (default neutral) unless an outcome already ended the trial. */
  release(outcome?: CallOutcome): void;
}

/**
 * One circuit per model (see {@link circuitMachine}): after `failureThreshold` consecutive counted
 * failures the circuit opens and the model is skipped for `cooldownMs` of the engine's clock; the first
 * allow() after that claims the half-open trial, whose outcome closes or re-opens the circuit.
 * In-process state (each engine instance learns on its own). Closed circuits with no failures cost no
 * event (the request path only reads the snapshot).
 */
export class CircuitBreaker {
  private readonly circuits = new Map<string, Actor<typeof circuitMachine>>();
  /** Non-trial tickets hold no state of their own: one per model, reused (no allocation per call). */
  private readonly plain = new Map<string, CircuitTicket>();

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A ticket when a call to `model` may go ahead now (claiming the half-open trial when the cooldown is over), else `undefined`. */
  allow(model: string): CircuitTicket | undefined {
    const actor = this.circuits.get(model);
    if (!actor) return this.plainTicket(model);
    const before = actor.getSnapshot().value;
    if (before === 'closed') return this.plainTicket(model);
    if (before === 'half-open') return undefined;
    actor.send({ type: 'REQUEST', now: this.now() });
    return actor.getSnapshot().value === 'half-open' ? this.ticket(model, true) : undefined;
  }

  /** Whether calls to `model` are being refused (open, or half-open with its trial in flight). */
  isOpen(model: string): boolean {
    const v = this.circuits.get(model)?.getSnapshot().value;
    return v === 'open' || v === 'half-open';
  }

  /** Every model's circuit that has left the initial state (unknown models are closed with no failures). */
  snapshot(): CircuitSnapshot[] {
    return [...this.circuits].map(([model]) => this.describe(model));
  }

  /** One model's circuit. */
  describe(model: string): CircuitSnapshot {
    const s = this.circuits.get(model)?.getSnapshot();
    if (!s) return { model, state: 'closed', failures: 0, trialInFlight: false };
    const state = s.value as CircuitState;
    return { model, state, failures: s.context.failures, ...(state === 'closed' ? {} : { openUntil: s.context.openUntil }), trialInFlight: state === 'half-open' };
  }

  private actorFor(model: string): Actor<typeof circuitMachine> {
    let a = this.circuits.get(model);
    if (!a) {
      a = createActor(circuitMachine, { input: { threshold: this.failureThreshold, cooldownMs: this.cooldownMs } }).start();
      this.circuits.set(model, a);
    }
    return a;
  }

  private plainTicket(model: string): CircuitTicket {
    let t = this.plain.get(model);
    if (!t) this.plain.set(model, (t = this.ticket(model, false)));
    return t;
  }

  private ticket(model: string, trial: boolean): CircuitTicket {
    let open = true; // a trial ticket stays open until its first outcome; others until release
    const end = (outcome: CallOutcome): void => {
      if (outcome === 'success') {
        const a = this.circuits.get(model);
        if (a && (a.getSnapshot().value !== 'closed' || a.getSnapshot().context.failures > 0)) a.send({ type: 'SUCCESS' });
      } else if (outcome === 'failure') {
        this.actorFor(model).send({ type: 'FAILURE', now: this.now(), trial: trial && open });
      } else if (trial && open) {
        this.circuits.get(model)?.send({ type: 'RELEASE', trial: true });
      }
      if (trial) open = false;
    };
    return {
      model,
      trial,
      success: () => end('success'),
      failure: () => end('failure'),
      release: (outcome = 'neutral') => {
        if (!trial || open) end(outcome);
        open = false;
      },
    };
  }
}
