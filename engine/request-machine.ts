import { assign, fromPromise, setup } from 'xstate';
import type { DecisionRecord } from './decision-record.js';
import { TollgateError } from './errors.js';
import { cacheKey } from './request-facts.js';
import {
  admit, classify, type EngineDeps, invokeModel, lookupCache, type RequestContext, reserve, route, settle,
} from './request-steps.js';

export type RequestOutput = { record: DecisionRecord; ctx: RequestContext };

const asTollgateError = (e: unknown): TollgateError =>
  e instanceof TollgateError ? e : new TollgateError('internal_error', (e as Error)?.message ?? String(e), {}, { cause: e });

/**
 * The per-request state machine (xstate v5). One actor per request:
 *
 * admitting → lookingUp ─hit─────────────────────────────────► settling → logging → done
 *                └miss→ classifying → deciding → reserving → invoking ┘
 * any step fails ──► failing (refund, error record) → logging → failed
 *
 * Validation and token counting happen before the actor starts, so invalid input never enters it.
 * The machine holds no money logic: every step is a function in request-steps.ts.
 */
export function createRequestMachine(deps: EngineDeps) {
  const step = <T>(fn: (ctx: RequestContext) => Promise<T>) => fromPromise<T, RequestContext>(({ input }) => fn(input));
  const onError = { target: 'failing', actions: 'recordError' } as const;
  return setup({
    types: { context: {} as RequestContext, input: {} as RequestContext, output: {} as RequestOutput },
    actions: {
      recordError: assign({ error: ({ event }) => asTollgateError((event as { error?: unknown }).error) }),
    },
    actors: {
      admit: step((ctx) => admit(deps, ctx)),
      lookup: step((ctx) => lookupCache(deps, ctx, cacheKey(ctx.facts.request))),
      classify: step((ctx) => classify(deps, ctx)),
      decide: step(async (ctx) => route(deps, ctx)),
      reserve: step((ctx) => reserve(deps, ctx)),
      invoke: step((ctx) => invokeModel(deps, ctx)),
      settle: step((ctx) => settle(deps, ctx)),
      log: step(async (ctx) => deps.sink.append(ctx.record!)),
    },
  }).createMachine({
    id: 'request',
    context: ({ input }) => input,
    initial: 'admitting',
    states: {
      admitting: { invoke: { src: 'admit', input: ({ context }) => context, onDone: 'lookingUp', onError } },
      lookingUp: {
        invoke: {
          src: 'lookup',
          input: ({ context }) => context,
          onDone: [
            { guard: ({ event }) => !!event.output, target: 'settling', actions: assign({ cacheHit: ({ event }) => event.output }) },
            { target: 'classifying' },
          ],
          onError,
        },
      },
      classifying: {
        invoke: { src: 'classify', input: ({ context }) => context, onDone: { target: 'deciding', actions: assign({ classification: ({ event }) => event.output }) }, onError },
      },
      deciding: {
        invoke: { src: 'decide', input: ({ context }) => context, onDone: { target: 'reserving', actions: assign({ decision: ({ event }) => event.output }) }, onError },
      },
      reserving: {
        invoke: { src: 'reserve', input: ({ context }) => context, onDone: { target: 'invoking', actions: assign({ reservation: ({ event }) => event.output }) }, onError },
      },
      invoking: {
        invoke: { src: 'invoke', input: ({ context }) => context, onDone: { target: 'settling', actions: assign({ answer: ({ event }) => event.output }) }, onError },
      },
      settling: {
        invoke: { src: 'settle', input: ({ context }) => context, onDone: { target: 'logging', actions: assign({ record: ({ event }) => event.output }) }, onError },
      },
      failing: {
        invoke: {
          src: 'settle',
          input: ({ context }) => context,
          onDone: { target: 'logging', actions: assign({ record: ({ event }) => event.output }) },
          onError: { target: 'failed' },
        },
      },
      logging: {
        invoke: {
          src: 'log',
          input: ({ context }) => context,
          onDone: [{ guard: ({ context }) => !!context.error, target: 'failed' }, { target: 'done' }],
          onError: { target: 'failed', actions: 'recordError' },
        },
      },
      done: { type: 'final' },
      failed: { type: 'final' },
    },
    output: ({ context }) => ({ record: context.record!, ctx: context }),
  });
}

export type RequestMachine = ReturnType<typeof createRequestMachine>;
