/**
 * Which of a fixed list of keyword patterns occur in a prompt, remembered per chunk of lines so that a
 * conversation resent with a few new lines (an agent loop: every turn carries the whole history, with new
 * ids in its tool calls) scans only the chunks it has not seen.
 *
 * Each pattern has a part that cannot match across a newline (`local`: keywords, a code fence) and
 * optionally one that can (`global`: a digit-operator-digit run, tested on the whole text, ~1 ns a
 * character). The text is cut only at newlines, and where depends only on the line itself: a long line
 * (≥ {@link LONG_LINE} characters: a tool result, a pasted document) is a chunk of its own; runs of
 * shorter lines end after a line whose content hash says so (about one in eight), or at
 * {@link MAX_CHUNK} characters. A changed line therefore changes only its own chunk, whatever comes
 * before it. Chunks of {@link MIN_CACHED} characters or more have their `local` matches cached by their
 * text (looked up by a fingerprint, then compared); shorter ones are scanned directly (a cache entry would cost more than it saves). The answer is
 * exactly `patterns.map((p) => regExpOf(p).test(text))`.
 */
export interface ScanPattern {
  /** Regex source (case-insensitive) that cannot match a newline nor see the text's ends: no escape but `\b`, no `^`, no `$`. */
  local: string;
  /** Regex source (case-insensitive) that may match across a newline: tested on the whole text. */
  global?: string;
  /**
   * Characters one of which every match of `global` contains: `global` is tested only on a text that has
   * one (`indexOf` is ~10× faster than the regex: ~2 µs, not ~20 µs, on a 19 KB history).
   */
  globalNeeds?: string;
}

/** The pattern as one case-insensitive regex: `local|global`. */
export function regExpOf(p: ScanPattern): RegExp {
  return new RegExp(p.global ? `${p.local}|${p.global}` : p.local, 'i');
}

/** Lines this long or longer are chunks of their own. */
export const LONG_LINE = 256;
/** Chunks this long or longer are cached. */
export const MIN_CACHED = 256;
/** A run of short lines is cut here at the latest (a run with no hash cut in 4 Ki characters: chained cuts, as a fallback). */
export const MAX_CHUNK = 4096;
/** Texts shorter than this are scanned directly (chunking would cost more than it saves). */
export const DIRECT_BELOW = 2048;
/** Cached characters at most (about 8 MiB), oldest entries dropped first. */
const MAX_CACHED_CHARS = 4 * 1024 * 1024;

/**
 * Without the `s` and `m` flags a regex matches a newline only through an escape (`\s`, `\n`, `\W`, …), a
 * negated class (`[^…]`) or a literal newline, and tells a chunk's ends from the text's only by `^` and `$`
 * (at a cut, `\b` and lookarounds see the newline as they see the end of the text): `local` may use none of them.
 */
function assertLineLocal(source: string): void {
  const rest = source.replaceAll('\\b', '');
  if (/[\\^$\n]/.test(rest)) {
    throw new RangeError(`local pattern could match across a newline: ${source}`);
  }
}

/** Whether a run of short lines ends after the line `text[start, end)`: a hash of its length and three of its characters. */
function endsRun(text: string, start: number, end: number): boolean {
  const len = end - start;
  if (len === 0) return false;
  const h = Math.imul(len, 0x9e3779b1) ^ Math.imul(text.charCodeAt(start), 0x85ebca6b) ^ Math.imul(text.charCodeAt(start + (len >> 1)), 0xc2b2ae35) ^ text.charCodeAt(end - 1);
  return ((h ^ (h >>> 15)) & 7) === 0;
}

/**
 * A cache key for `text[start, end)` from its length and nine of its characters, without hashing it all (a
 * string key is hashed in full: ~30 µs a request for a 19 KB history). Hits are then checked by comparing texts.
 */
function fingerprint(text: string, start: number, end: number): number {
  const len = end - start;
  let h = len;
  for (let k = 0; k < 8; k++) h = Math.imul(h ^ text.charCodeAt(start + ((len * k) >> 3)), 0x9e3779b1);
  return (h ^ text.charCodeAt(end - 1)) >>> 0;
}

export class PatternScanner {
  private readonly local: RegExp[];
  private readonly global: (RegExp | undefined)[];
  private readonly globalNeeds: (string[] | undefined)[];
  private readonly localAll: number;
  /** Chunks by {@link fingerprint}, one per fingerprint (a collision replaces the older; a hit compares the whole text). */
  private readonly cache = new Map<number, { text: string; mask: number }>();
  private cachedChars = 0;

  constructor(patterns: readonly ScanPattern[]) {
    if (patterns.length > 30) throw new RangeError('at most 30 patterns');
    for (const p of patterns) assertLineLocal(p.local);
    this.local = patterns.map((p) => new RegExp(p.local, 'i'));
    this.global = patterns.map((p) => (p.global ? new RegExp(p.global, 'i') : undefined));
    this.globalNeeds = patterns.map((p) => (p.globalNeeds ? [...p.globalNeeds] : undefined));
    this.localAll = patterns.length ? 2 ** patterns.length - 1 : 0;
  }

  /** Bit `i` set when `patterns[i]` occurs in `text`. */
  scan(text: string): number {
    let mask = text.length < DIRECT_BELOW ? this.direct(text, 0) : this.chunked(text);
    for (let i = 0; i < this.global.length; i++) {
      const re = this.global[i];
      if (!re || mask & (1 << i)) continue;
      const needs = this.globalNeeds[i];
      if (needs && !needs.some((ch) => text.includes(ch))) continue;
      if (re.test(text)) mask |= 1 << i;
    }
    return mask;
  }

  /** The `local` matches of the whole text, chunk by chunk. */
  private chunked(text: string): number {
    let mask = 0;
    let run = 0; // start of the current run of short lines
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      const end = nl < 0 ? text.length : nl;
      if (end - pos >= LONG_LINE) {
        if (run < pos) mask |= this.chunk(text, run, pos - 1, mask);
        mask |= this.chunk(text, pos, end, mask);
        run = end + 1;
      } else if (end - run >= MAX_CHUNK || endsRun(text, pos, end)) {
        mask |= this.chunk(text, run, end, mask);
        run = end + 1;
      }
      if (nl < 0 || mask === this.localAll) break;
      pos = nl + 1;
    }
    if (run < text.length && mask !== this.localAll) mask |= this.chunk(text, run, text.length, mask);
    return mask;
  }

  /** The `local` matches in `text[start, end)`: cached for a long chunk, else only the patterns not in `found`. */
  private chunk(text: string, start: number, end: number, found: number): number {
    if (end - start < MIN_CACHED) return end > start ? this.direct(text.slice(start, end), found) : 0;
    const key = fingerprint(text, start, end);
    const chunk = text.slice(start, end);
    const hit = this.cache.get(key);
    if (hit !== undefined && hit.text === chunk) return hit.mask;
    const mask = this.direct(chunk, 0);
    if (hit) this.cachedChars -= hit.text.length;
    // A copy: a slice would keep the whole prompt it came from alive as long as the entry.
    this.cache.set(key, { text: `${chunk} `.slice(0, -1), mask });
    this.cachedChars += chunk.length;
    while (this.cachedChars > MAX_CACHED_CHARS) {
      const [oldest, entry] = this.cache.entries().next().value!;
      this.cache.delete(oldest);
      this.cachedChars -= entry.text.length;
    }
    return mask;
  }

  /** The `local` matches in `text` among the patterns not in `found`. */
  private direct(text: string, found: number): number {
    let mask = 0;
    for (let i = 0; i < this.local.length; i++) if (!(found & (1 << i)) && this.local[i]!.test(text)) mask |= 1 << i;
    return mask;
  }
}
