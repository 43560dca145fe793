/**
 * The raw server-sent-events response both streaming routes write (Chat Completions and Messages): the
 * same headers and trailers, and writes that wait for the socket to drain (or close) so a slow client
 * holds back only its own stream.
 */
import type { ServerResponse } from 'node:http';
import type { CompletionResult } from '../index.js';
import { HEADER_COST, HEADER_MODEL, HEADER_REQUEST_ID, resultHeaders } from './chat-route.js';

/** Starts an SSE response for `requestId`, announcing the model and cost trailers. */
export function openSse(res: ServerResponse, requestId: string): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    [HEADER_REQUEST_ID]: requestId,
    trailer: `${HEADER_MODEL}, ${HEADER_COST}`,
  });
}

/**
 * Writes `text`; resolves at once when the socket took it, else on `drain` or `close`. A destroyed response is a no-op.
 * Writes made in the same turn of the event loop (the events of one upstream chunk) are corked into one
 * socket write, uncorked on the next tick: the same bytes, one syscall instead of one per event.
 */
export function writeSse(res: ServerResponse, text: string): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  if (!res.writableCorked) {
    res.cork();
    process.nextTick(uncork, res);
  }
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function uncork(res: ServerResponse): void {
  if (res.writableCorked) res.uncork();
}

/** The trailers of a finished stream: the model and its cost (0 for an idempotent replay, like the non-streamed header). */
export function addResultTrailers(res: ServerResponse, r: CompletionResult): void {
  res.addTrailers({ [HEADER_MODEL]: r.model, [HEADER_COST]: resultHeaders(r)[HEADER_COST]! });
}
