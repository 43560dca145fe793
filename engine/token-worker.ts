import { parentPort } from 'node:worker_threads';
import type { TextMessage as ChatMessage } from './request.js';
import { countPromptByEncoding, type Encoding } from './tokens.js';

/**
 * The token-counting worker (started by engine/token-pool.ts): counts large prompts off the main
 * thread so one long prompt cannot stall every other request. Receives `{ id, messages, encodings }`,
 * answers `{ id, counts }` (pairs of encoding and count) or `{ id, error }`.
 */
export interface CountJob {
  id: number;
  messages: ChatMessage[];
  encodings: Encoding[];
}
export type CountAnswer = { id: number; counts: [Encoding, number][] } | { id: number; error: string };

parentPort?.on('message', (job: CountJob) => {
  let answer: CountAnswer;
  try {
    answer = { id: job.id, counts: [...countPromptByEncoding(job.messages, job.encodings)] };
  } catch (err) {
    answer = { id: job.id, error: (err as Error).message };
  }
  parentPort!.postMessage(answer);
});
