import { createActor, setup } from 'xstate';

/**
 * The lifecycle of a batch a client submitted to `POST /v1/batches` (OpenAI's statuses):
 * validating → in_progress → finalizing → completed, with `failed` (the input could not be used at all),
 * `cancelling` → `cancelled` (`POST /v1/batches/:id/cancel`) and `expired` (the completion window
 * passed; lines not run end in the error file). The status is saved after every transition
 * (./client-batch-store.ts), so a restarted gateway resumes an `in_progress` or `cancelling` batch.
 * Same pattern as the vendor job machine (adapters/batch/batch-job-machine.ts).
 */
export type ClientBatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

export type ClientBatchEvent =
  | { type: 'VALIDATED' }
  | { type: 'INVALID' }
  | { type: 'DRAINED' }
  | { type: 'FINALIZED' }
  | { type: 'CANCEL' }
  | { type: 'CANCELLED' }
  | { type: 'EXPIRED' };

export const clientBatchMachine = setup({ types: { events: {} as ClientBatchEvent } }).createMachine({
  id: 'client-batch',
  initial: 'validating',
  states: {
    validating: { on: { VALIDATED: 'in_progress', INVALID: 'failed', CANCEL: 'cancelling' } },
    in_progress: { on: { DRAINED: 'finalizing', CANCEL: 'cancelling', EXPIRED: 'expired' } },
    finalizing: { on: { FINALIZED: 'completed' } },
    cancelling: { on: { CANCELLED: 'cancelled' } },
    completed: { type: 'final' },
    failed: { type: 'final' },
    expired: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

/** Statuses after which nothing changes any more. */
export const FINAL_BATCH_STATUSES: readonly ClientBatchStatus[] = ['completed', 'failed', 'expired', 'cancelled'];

/** The status after `event` from `status`; throws on a transition the lifecycle does not have. */
export function nextClientBatchStatus(status: ClientBatchStatus, event: ClientBatchEvent): ClientBatchStatus {
  const actor = createActor(clientBatchMachine, { snapshot: clientBatchMachine.resolveState({ value: status, context: {} }) });
  actor.start();
  if (!actor.getSnapshot().can(event)) {
    actor.stop();
    throw new Error(`client batch: no ${event.type} from ${status}`);
  }
  actor.send(event);
  const next = actor.getSnapshot().value as ClientBatchStatus;
  actor.stop();
  return next;
}

/** Whether `event` is a transition from `status`. */
export function canClientBatch(status: ClientBatchStatus, event: ClientBatchEvent): boolean {
  const actor = createActor(clientBatchMachine, { snapshot: clientBatchMachine.resolveState({ value: status, context: {} }) });
  actor.start();
  const ok = actor.getSnapshot().can(event);
  actor.stop();
  return ok;
}
