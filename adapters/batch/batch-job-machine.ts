import { createActor, setup } from 'xstate';

/**
 * A vendor batch job's lifecycle (docs/capacity.md, "Deferrable work"): queued → submitting → in_progress →
 * completed | expired | failed → settled. The job's state is persisted (./batch-job-store.ts) after every
 * transition, so a restarted process resumes where it was: polls a submitted job, never submits it again.
 * `submitting` is the one state that may have reached the vendor without its id being saved; resuming
 * it asks the vendor for the job first (`VendorBatchClient.find`).
 */
export type BatchJobState = 'queued' | 'submitting' | 'in_progress' | 'completed' | 'expired' | 'failed' | 'settled';

export type BatchJobEvent =
  | { type: 'SUBMIT' }
  | { type: 'SUBMITTED' }
  | { type: 'COMPLETED' }
  | { type: 'EXPIRED' }
  | { type: 'FAILED' }
  | { type: 'SETTLED' };

export const batchJobMachine = setup({ types: { events: {} as BatchJobEvent } }).createMachine({
  id: 'batch-job',
  initial: 'queued',
  states: {
    queued: { on: { SUBMIT: 'submitting' } },
    submitting: { on: { SUBMITTED: 'in_progress', FAILED: 'failed' } },
    in_progress: { on: { COMPLETED: 'completed', EXPIRED: 'expired', FAILED: 'failed' } },
    completed: { on: { SETTLED: 'settled' } },
    expired: { on: { SETTLED: 'settled' } },
    failed: { on: { SETTLED: 'settled' } },
    settled: { type: 'final' },
  },
});

/** The state after `event` from `state`; throws on a transition the lifecycle does not have. */
export function nextBatchJobState(state: BatchJobState, event: BatchJobEvent): BatchJobState {
  const actor = createActor(batchJobMachine, { snapshot: batchJobMachine.resolveState({ value: state, context: {} }) });
  actor.start();
  const before = actor.getSnapshot();
  if (!before.can(event)) throw new Error(`batch job: no ${event.type} from ${state}`);
  actor.send(event);
  const next = actor.getSnapshot().value as BatchJobState;
  actor.stop();
  return next;
}
