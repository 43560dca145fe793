import { Worker } from 'node:worker_threads';
import type { TextMessage as ChatMessage } from './request.js';
import type { CountAnswer, CountJob } from './token-worker.js';
import { cachedCount, type ContentCounts, countPromptByEncoding, type Encoding, hasCachedCount, type KnownCounts, type OpenAIEncoding, rememberCounts } from './tokens.js';

/**
 * Where a prompt is counted is decided by what counting it here would cost (figures in docs/tokens.md): texts whose counts are already in the per-text cache
 * (engine/tokens.ts: a chat resends its earlier turns, an agent its tool results) cost a lookup; any other
 * text costs its characters, and characters in an unbroken run of one character class (letters, other
 * symbols or whitespace) longer than {@link LONG_RUN_CHARS} cost {@link LONG_RUN_WEIGHT} each, because
 * such a run is one BPE piece that no piece cache holds (the adversarial shapes). A prompt whose cost
 * reaches {@link COUNT_HERE_BUDGET} is counted on the worker thread (engine/token-worker.ts); a smaller
 * one here, where it takes less than a worker round trip.
 */
export const COUNT_HERE_BUDGET = 16 * 1024;
/** A run of one character class longer than this is an expensive piece (the piece cache keeps pieces of at most 64). */
export const LONG_RUN_CHARS = 64;
/** Cost of one character in a long run, in ordinary characters (unbroken letters count ~30× slower than prose). */
export const LONG_RUN_WEIGHT = 32;
/** Prompts of fewer characters than this are always counted here (even one unbroken run is cheap). */
export const OFF_THREAD_CHARS = COUNT_HERE_BUDGET / LONG_RUN_WEIGHT;

type TextsByEncoding = [OpenAIEncoding, string[]][];
type Pending = { texts: TextsByEncoding; resolve: (known: KnownCounts) => void; reject: (e: Error) => void };

/**
 * One lazily started counting worker, shared by every engine in the process. It does not keep the
 * process alive (unref'd) and is started again after a crash; jobs run one at a time in order.
 */
class TokenPool {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /**
   * Counts the prompt's texts that this thread does not know (per tokenizer) on the worker, keeps their
   * counts here (the next request of the conversation finds them) and adds the chat overhead here.
   */
  async count(messages: readonly ChatMessage[], encodings: readonly Encoding[]): Promise<Map<Encoding, number>> {
    const texts: TextsByEncoding = [];
    for (const base of baseEncodings(encodings)) {
      const unknown = new Set<string>();
      for (const m of messages) {
        if (m.content && !hasCachedCount(m.content, base)) unknown.add(m.content);
        if (m.name && !hasCachedCount(m.name, base)) unknown.add(m.name);
      }
      texts.push([base, [...unknown]]);
    }
    const known = await this.run(texts);
    return countPromptByEncoding(messages, encodings, known);
  }

  private run(texts: TextsByEncoding): Promise<KnownCounts> {
    const w = this.start();
    const id = this.nextId++;
    const job: CountJob = { id, texts };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { texts, resolve, reject });
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
      if ('error' in a) return p.reject(new Error(`token worker: ${a.error}`));
      const known = new Map<OpenAIEncoding, Map<string, number>>();
      a.counts.forEach(([encoding, counts], i) => {
        const sent = p.texts[i]![1];
        rememberCounts(encoding, sent, counts);
        known.set(encoding, new Map(sent.map((t, j) => [t, counts[j]!])));
      });
      p.resolve(known);
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
 * Whether {@link countPromptOffThread} counts `messages` on the worker: the prompt's counting cost (see
 * {@link COUNT_HERE_BUDGET}) reaches the budget. Reads at most about the budget's worth of uncached characters.
 */
export function countsOffThread(messages: readonly ChatMessage[], encodings: Iterable<Encoding>, chars: number): boolean {
  return lookupsToCountHere(messages, encodings, chars) === undefined;
}

const NO_LOOKUPS: ContentCounts = new Map();

/**
 * The per-text cache lookups of the messages' contents, per tokenizer, when the prompt is counted here
 * ({@link countsOffThread} false: they are then not made again); undefined when it is counted on the worker.
 */
function lookupsToCountHere(messages: readonly ChatMessage[], encodings: Iterable<Encoding>, chars: number): ContentCounts | undefined {
  if (chars < OFF_THREAD_CHARS) return NO_LOOKUPS;
  const found = new Map<OpenAIEncoding, (number | undefined)[]>();
  let cost = 0;
  for (const base of baseEncodings(encodings)) {
    const counts: (number | undefined)[] = [];
    found.set(base, counts);
    for (const m of messages) {
      cost += m.role.length + (m.name?.length ?? 0);
      const n = cachedCount(m.content, base);
      counts.push(n);
      if (n === undefined) cost += textCost(m.content, COUNT_HERE_BUDGET - cost);
      if (cost >= COUNT_HERE_BUDGET) return undefined;
    }
  }
  return found;
}

/** The distinct tokenizers behind `encodings` (`estimate` is counted as o200k_base). */
function baseEncodings(encodings: Iterable<Encoding>): Set<OpenAIEncoding> {
  const out = new Set<OpenAIEncoding>();
  for (const e of encodings) out.add(e === 'cl100k_base' ? 'cl100k_base' : 'o200k_base');
  return out;
}

/** Character classes for the run scan: 0 other symbols, 1 letters (and any non-ASCII), 2 digits (pieces of ≤ 3), 3 whitespace. */
function charClass(c: number): number {
  if (c >= 0x80 || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) return 1;
  if (c >= 0x30 && c <= 0x39) return 2;
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return 3;
  return 0;
}

/**
 * Counting cost of an uncached text (see {@link COUNT_HERE_BUDGET}); stops reading once it reaches `stopAt`.
 * A text of at most LONG_RUN_CHARS holds no long run, so it costs its length, read no further.
 */
export function textCost(text: string, stopAt: number): number {
  if (text.length <= LONG_RUN_CHARS) return text.length;
  let cost = 0;
  let run = 0;
  let cls = -1;
  for (let i = 0; i < text.length; i++) {
    const k = charClass(text.charCodeAt(i));
    run = k === cls && k !== 2 ? run + 1 : 1;
    cls = k;
    // A run's first LONG_RUN_CHARS characters cost 1 each; when it grows past that, all of them cost the weight.
    if (run <= LONG_RUN_CHARS) cost += 1;
    else cost += run === LONG_RUN_CHARS + 1 ? LONG_RUN_WEIGHT * run - LONG_RUN_CHARS : LONG_RUN_WEIGHT;
    if (cost >= stopAt) return cost;
  }
  return cost;
}

/**
 * {@link countPromptByEncoding} that keeps the event loop free: a prompt that is costly to count
 * ({@link countsOffThread}) is counted on the worker thread, any other here. Same numbers either way.
 */
export async function countPromptOffThread(messages: readonly ChatMessage[], encodings: Iterable<Encoding>, chars: number): Promise<Map<Encoding, number>> {
  const list = [...encodings];
  const lookups = lookupsToCountHere(messages, list, chars);
  return lookups ? countPromptByEncoding(messages, list, undefined, lookups) : pool.count(messages, list);
}
