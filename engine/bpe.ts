/**
 * Byte-pair encoding in O(n log n) per piece, exact: the same merges, in the same order, as tiktoken's
 * reference loop (js-tiktoken `bytePairMerge`, tiktoken's `_byte_pair_merge`): repeatedly merge the
 * adjacent pair of parts whose concatenation has the lowest rank, the leftmost one on ties, until no
 * adjacent pair is a token. The reference rescans every pair after every merge (quadratic in the
 * piece: 8,000 × `a` took 7 s); here the candidate pairs sit in a binary min-heap keyed by
 * (rank, start of the left part) — exactly "lowest rank, leftmost on ties" — and a merge pushes only
 * the two pairs it creates. Entries made stale by a merge are recognised when popped (the left part
 * is gone, or its right neighbour no longer ends where it did) and dropped. See docs/tokens.md.
 */

/** The ranks of one encoding, keyed by the token's bytes as a latin1 string (one char per byte). */
export interface BpeRanks {
  readonly name: string;
  readonly ranks: Map<string, number>;
  /** The longest token, in bytes: a longer pair cannot be a token, so it is never looked up. */
  readonly maxTokenBytes: number;
  readonly special: Readonly<Record<string, number>>;
  /** The encoding's pre-tokeniser pattern (js-tiktoken's `pat_str`). */
  readonly patStr: string;
}

/** js-tiktoken's rank file shape (`js-tiktoken/ranks/*`). */
export interface TiktokenRankFile {
  pat_str: string;
  special_tokens: Record<string, number>;
  bpe_ranks: string;
}

/** Parses a js-tiktoken rank file (`"! offset tok tok …"` lines of base64 tokens) into latin1-keyed ranks. */
export function loadBpeRanks(name: string, file: TiktokenRankFile): BpeRanks {
  const ranks = new Map<string, number>();
  let maxTokenBytes = 1;
  for (const line of file.bpe_ranks.split('\n')) {
    if (!line) continue;
    const parts = line.split(' ');
    const offset = Number.parseInt(parts[1]!, 10);
    for (let i = 2; i < parts.length; i++) {
      const bytes = Buffer.from(parts[i]!, 'base64').toString('latin1');
      ranks.set(bytes, offset + i - 2);
      if (bytes.length > maxTokenBytes) maxTokenBytes = bytes.length;
    }
  }
  return { name, ranks, maxTokenBytes, special: file.special_tokens, patStr: file.pat_str };
}

/** Rank × 2^23 + start packs both heap keys exactly into a double while ranks < 2^29 and pieces < 8 MiB. */
const START_BITS = 2 ** 23;
/** Pieces at or under this many bytes use the reference's scan (no allocation; faster when tiny). */
const SMALL_PIECE = 12;

/** Scratch arrays reused across calls (grown on demand); one set per thread. */
let cap = 0;
let nextA = new Int32Array(0);
let prevA = new Int32Array(0);
let heapKey = new Float64Array(0);
let heapEnd = new Int32Array(0);
let heapStart = new Int32Array(0);

function ensure(n: number): void {
  if (n <= cap) return;
  cap = Math.max(n, cap * 2, 64);
  nextA = new Int32Array(cap + 1);
  prevA = new Int32Array(cap + 1);
  heapKey = new Float64Array(3 * cap);
  heapEnd = new Int32Array(3 * cap);
  heapStart = new Int32Array(3 * cap);
}

/**
 * Encodes one pre-tokenised piece (its UTF-8 bytes as a latin1 string). Returns the number of tokens;
 * pushes the token ids onto `out` when given. Bytes absent from the ranks (impossible for byte-level
 * encodings, which rank every single byte) are skipped, as the reference does.
 */
export function bpePiece(bytes: string, r: BpeRanks, out?: number[]): number {
  const whole = r.ranks.get(bytes);
  if (whole !== undefined) {
    out?.push(whole);
    return 1;
  }
  const n = bytes.length;
  if (n <= SMALL_PIECE) return scanMerge(bytes, r, out);
  ensure(n);
  const ranks = r.ranks;
  const maxLen = r.maxTokenBytes;
  const next = nextA;
  const prev = prevA;
  // Parts are identified by their start byte; next[start] is the next part's start (n at the end), -1 once merged away.
  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  let size = 0;
  for (let i = 0; i + 1 < n; i++) {
    const rank = ranks.get(bytes.substring(i, i + 2));
    if (rank !== undefined) size = heapPush(size, rank * START_BITS + i, i, i + 2);
  }
  let parts = n;
  while (size > 0) {
    const left = heapStart[0]!;
    const end = heapEnd[0]!;
    // Pop the minimum.
    size--;
    if (size > 0) {
      const lk = heapKey[size]!;
      const le = heapEnd[size]!;
      const ls = heapStart[size]!;
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= size) break;
        if (c + 1 < size && heapKey[c + 1]! < heapKey[c]!) c++;
        if (heapKey[c]! >= lk) break;
        heapKey[i] = heapKey[c]!;
        heapEnd[i] = heapEnd[c]!;
        heapStart[i] = heapStart[c]!;
        i = c;
      }
      heapKey[i] = lk;
      heapEnd[i] = le;
      heapStart[i] = ls;
    }
    const right = next[left]!;
    if (right < 0 || right >= n) continue; // left part merged away, or it is the last part
    const rightEnd = next[right]!;
    if (rightEnd !== end) continue; // the right neighbour changed since this pair was pushed
    // Merge left and right into [left, end).
    next[left] = end;
    next[right] = -1;
    if (end < n) prev[end] = left;
    parts--;
    const before = prev[left]!;
    if (before >= 0 && end - before <= maxLen) {
      const rank = ranks.get(bytes.substring(before, end));
      if (rank !== undefined) size = heapPush(size, rank * START_BITS + before, before, end);
    }
    if (end < n) {
      const after = next[end]!;
      if (after - left <= maxLen) {
        const rank = ranks.get(bytes.substring(left, after));
        if (rank !== undefined) size = heapPush(size, rank * START_BITS + left, left, after);
      }
    }
  }
  if (!out) return parts;
  let count = 0;
  for (let i = 0; i < n; i = next[i]!) {
    const id = ranks.get(bytes.substring(i, next[i]!));
    if (id !== undefined) {
      out.push(id);
      count++;
    }
  }
  return count;
}

/** Pushes a pair (its key, left start, right end) onto the heap of `size` entries; returns the new size. */
function heapPush(size: number, key: number, start: number, end: number): number {
  let i = size;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (heapKey[p]! <= key) break;
    heapKey[i] = heapKey[p]!;
    heapEnd[i] = heapEnd[p]!;
    heapStart[i] = heapStart[p]!;
    i = p;
  }
  heapKey[i] = key;
  heapEnd[i] = end;
  heapStart[i] = start;
  return size + 1;
}

/** The reference loop, for tiny pieces: rescan all pairs, merge the lowest rank (leftmost on ties). */
function scanMerge(bytes: string, r: BpeRanks, out?: number[]): number {
  const starts: number[] = [];
  for (let i = 0; i <= bytes.length; i++) starts.push(i);
  while (starts.length > 2) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 2 < starts.length; i++) {
      const rank = r.ranks.get(bytes.substring(starts[i]!, starts[i + 2]!));
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = i;
      }
    }
    if (best < 0) break;
    starts.splice(best + 1, 1);
  }
  if (!out) return starts.length - 1;
  let count = 0;
  for (let i = 0; i + 1 < starts.length; i++) {
    const id = r.ranks.get(bytes.substring(starts[i]!, starts[i + 1]!));
    if (id !== undefined) {
      out.push(id);
      count++;
    }
  }
  return count;
}
