import type { FastifyReply } from 'fastify';
import { leaseController, releaseController } from '../index.js';

/**
 * The signal a route hands the engine: it aborts when the client goes away before its answer was written
 * (a disconnect mid-request or mid-stream). `reusable`: the engine is done with the signal once the
 * response closes (a request answered in full, as the chat and messages routes answer), so its controller
 * goes back to the pool then (engine/abort-pool.ts) — not for work that outlives the response (deferrals).
 */
export function clientAbortSignal(reply: FastifyReply, reusable: boolean): AbortSignal {
  const abort = leaseController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) abort.abort();
    else if (reusable) releaseController(abort);
  });
  return abort.signal;
}
