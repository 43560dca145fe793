import { parentPort } from 'node:worker_threads';
import { countTokens, type OpenAIEncoding } from './tokens.js';

/**
 * The token-counting worker (started by engine/token-pool.ts): counts the texts of large prompts off the main
 * thread so one long prompt cannot stall every other request. Receives `{ id, texts, encodings }` (the texts
 * the main thread does not know yet, per tokenizer), answers `{ id, counts }` (per tokenizer, each text's
 * count in order) or `{ id, error }`; the main thread adds the chat overhead and keeps the counts.
 */
export interface CountJob {
  id: number;
  texts: [OpenAIEncoding, string[]][];
}
export type CountAnswer = { id: number; counts: [OpenAIEncoding, number[]][] } | { id: number; error: string };

parentPort?.on('message', (job: CountJob) => {
  let answer: CountAnswer;
  try {
    answer = { id: job.id, counts: job.texts.map(([encoding, texts]) => [encoding, texts.map((t) => countTokens(t, encoding))]) };
  } catch (err) {
    answer = { id: job.id, error: (err as Error).message };
  }
  parentPort!.postMessage(answer);
});
