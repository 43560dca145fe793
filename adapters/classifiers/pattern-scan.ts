/**
 * Which of a fixed list of keyword patterns occur in a prompt, remembered per chunk so that a growing
 * conversation (an agent loop resending its whole history every turn) scans only what is new.
 *
 * The text is cut into chunks at the first newline at or after every {@link CHUNK_CHARS} characters,
 * counted from the previous cut: a deterministic function of the text before it, so an appended history
 * keeps its earlier chunks. Each chunk's matches are a bit mask, cached by the chunk's text. A pattern
 * that matches the whole text matches inside one chunk or across a cut; the only patterns that can
 * match across a newline are the ones whose `crossing` probe (the characters around each cut) says
 * so. The answer is exactly `patterns.map((p) => p.test(text))`.
 */
export interface ScanPattern {
  re: RegExp;
  /**
   * For a pattern that can match across a newline: the part of the chunk before a cut (`tail`) and of the
   * chunk after it (`head`) that a match through the cut would use — `undefined` when no match can
   * reach the cut from that side, `null` when the part is the whole chunk (then the pattern is tested
   * on the whole text).
   */
  crossing?: { tail: (before: string) => string | undefined | null; head: (after: string) => string | undefined | null };
}

export const CHUNK_CHARS = 1024;
/** Cached chunks at most (each ≤ ~CHUNK_CHARS plus a line): a few MiB. */
const MAX_CHUNKS = 4096;
/** Texts shorter than this are scanned directly (chunking would cost more than it saves). */
const DIRECT_BELOW = 2 * CHUNK_CHARS;

export class PatternScanner {
  private readonly cache = new Map<string, number>();

  constructor(private readonly patterns: readonly ScanPattern[]) {
    if (patterns.length > 30) throw new RangeError('at most 30 patterns');
  }

  /** Bit `i` set when `patterns[i]` occurs in `text`. */
  scan(text: string): number {
    if (text.length < DIRECT_BELOW) return this.direct(text);
    let mask = 0;
    let undecided = 0;
    let start = 0;
    let prev: string | undefined;
    for (;;) {
      const nl = text.indexOf('\n', start + CHUNK_CHARS);
      const end = nl < 0 ? text.length : nl;
      const chunk = text.slice(start, end);
      mask |= this.chunkMask(chunk);
      if (prev !== undefined) {
        const [m, u] = this.acrossCut(prev, chunk);
        mask |= m;
        undecided |= u;
      }
      if (nl < 0) break;
      prev = chunk;
      start = end + 1; // the newline itself belongs to no chunk: it is the cut
    }
    // Patterns a cut could not decide (a chunk that is all of a match's middle): test them on the text.
    for (let i = 0; i < this.patterns.length; i++) if (undecided & (1 << i) && !(mask & (1 << i)) && this.patterns[i]!.re.test(text)) mask |= 1 << i;
    return mask;
  }

  private direct(text: string): number {
    let mask = 0;
    for (let i = 0; i < this.patterns.length; i++) if (this.patterns[i]!.re.test(text)) mask |= 1 << i;
    return mask;
  }

  private chunkMask(chunk: string): number {
    const hit = this.cache.get(chunk);
    if (hit !== undefined) return hit;
    const mask = this.direct(chunk);
    if (this.cache.size >= MAX_CHUNKS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(chunk, mask);
    return mask;
  }

  /** Matches through the newline between `before` and `after`, and the patterns this cut cannot decide. */
  private acrossCut(before: string, after: string): [number, number] {
    let mask = 0;
    let undecided = 0;
    for (let i = 0; i < this.patterns.length; i++) {
      const p = this.patterns[i]!;
      if (!p.crossing) continue;
      const tail = p.crossing.tail(before);
      const head = p.crossing.head(after);
      if (tail === null || head === null) undecided |= 1 << i;
      else if (tail !== undefined && head !== undefined && p.re.test(`${tail}\n${head}`)) mask |= 1 << i;
    }
    return [mask, undecided];
  }
}
