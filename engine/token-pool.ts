import { Worker } from 'node:worker_threads';
import type { TextMessage as ChatMessage } from './request.js';
import type { CountAnswer, CountJob } from './token-worker.js';
import { countPromptByEncoding, type Encoding } from './tokens.js';

/**
 * Prompts of at least this many characters are counted on the worker thread (engine/token-worker.ts);
 * smaller ones on the calling thread, where a count takes well under a millisecond per KiB (a worker
 * round trip costs more than counting them).
 */
export const OFF_THREAD_CHARS = 16 * 1024;

type Pending = { resolve: (m: Map<Encoding, number>) => void; reject: (e: Error) => void };

/**
 * One lazily started counting worker, shared by every engine in the process. It does not keep the
 * process alive (unref'd) and is started again after a crash; jobs run one at a time in order.
 */
class TokenPool {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  count(messages: readonly ChatMessage[], encodings: Iterable<Encoding>): Promise<Map<Encoding, number>> {
    const w = this.start();
    const id = this.nextId++;
    const job: CountJob = { id, messages: messages.map((m) => ({ role: m.role, content: m.content, ...(m.name ? { name: m.name } : {}) })), encodings: [...encodings] };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) w.ref();
      w.postMessage(job);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const fromSource = import.meta.url.endsWith('.ts'); // running from TypeScript sources (tests): load the worker through jiti
    const w = new Worker(new URL(fromSource ? './token-worker.ts' : './token-worker.js', import.meta.url), fromSource ? { execArgv: ['--import', 'jiti/register'] } : {});
    w.unref();
    w.on('message', (a: CountAnswer) => {
      const p = this.pending.get(a.id);
      if (!p) return;
      this.pending.delete(a.id);
      if (this.pending.size === 0) w.unref();
      if ('error' in a) p.reject(new Error(`token worker: ${a.error}`));
      else p.resolve(new Map(a.counts));
    });
    const fail = (err: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`token worker stopped (exit code ${code})`)));
    this.worker = w;
    return w;
  }
}

const pool = new TokenPool();

/**
 * {@link countPromptByEncoding} that keeps the event loop free: prompts of {@link OFF_THREAD_CHARS} or
 * more are counted on the worker thread, smaller ones here. Same numbers either way.
 */
export async function countPromptOffThread(messages: readonly ChatMessage[], encodings: Iterable<Encoding>, chars: number): Promise<Map<Encoding, number>> {
  if (chars < OFF_THREAD_CHARS) return countPromptByEncoding(messages, encodings);
  return pool.count(messages, encodings);
}
