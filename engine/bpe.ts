/**
 * Byte-pair encoding in O(n log n) per piece, exact: the same merges, in the same order, as tiktoken's
 * reference loop (js-tiktoken `bytePairMerge`, tiktoken's `_byte_pair_merge`): repeatedly merge the
 * adjacent pair of parts whose concatenation has the lowest rank, the leftmost one on ties, until no
 * adjacent pair is a token. The reference rescans every pair after every merge (quadratic in the
 * piece: 8,000 × `a` took 7 s); here the candidate pairs sit in a 4-ary min-heap keyed by
 * rank × 2^32 + start of the left part — exactly "lowest rank, leftmost on ties" — and a merge pushes
 * only the two pairs it creates. Entries made stale by a merge are recognised when popped (the pair
 * now at that start has another rank) and dropped. Pair ranks come from a table of the tokens' bytes
 * and hashes ({@link pairRank}), not from substrings. See docs/tokens.md.
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
  /** Rank of each single byte (-1: none). */
  readonly byteRank: Int32Array;
  /** The tokens by rank, for {@link pairRank}: bytes, hashes and an open-addressing table. */
  readonly table: TokenTable;
}

/** js-tiktoken's rank file shape (`js-tiktoken/ranks/*`). */
export interface TiktokenRankFile {
  pat_str: string;
  special_tokens: Record<string, number>;
  bpe_ranks: string;
}

/** Polynomial hash base (FNV's prime); hashes are taken mod 2^32, so a concatenation's hash is `h(a)·B^|b| + h(b)`. */
const HASH_BASE = 0x01000193;

/**
 * Every token by rank — its bytes (`bytes[offset[t] … + length[t]]`), its polynomial hash — and an
 * open-addressing table from hash to rank. It finds the token for "token a followed by token b" from
 * the two ranks alone: the hash of the concatenation comes from theirs, a hit is confirmed by comparing
 * bytes, and no substring or Map lookup is made (those were 80% of the time on long runs).
 */
export interface TokenTable {
  bytes: Uint8Array;
  offset: Int32Array;
  length: Int32Array;
  hash: Int32Array;
  /** rank + 1 per slot, 0 for empty. */
  slots: Int32Array;
  bits: number;
  /** HASH_BASE^k mod 2^32 for k ≤ maxTokenBytes. */
  pow: Int32Array;
}

/** Parses a js-tiktoken rank file (`"! offset tok tok …"` lines of base64 tokens) into latin1-keyed ranks. */
export function loadBpeRanks(name: string, file: TiktokenRankFile): BpeRanks {
  const ranks = new Map<string, number>();
  let maxTokenBytes = 1;
  let maxRank = 0;
  let totalBytes = 0;
  for (const line of file.bpe_ranks.split('\n')) {
    if (!line) continue;
    const parts = line.split(' ');
    const offset = Number.parseInt(parts[1]!, 10);
    for (let i = 2; i < parts.length; i++) {
      const bytes = Buffer.from(parts[i]!, 'base64').toString('latin1');
      const rank = offset + i - 2;
      ranks.set(bytes, rank);
      if (bytes.length > maxTokenBytes) maxTokenBytes = bytes.length;
      if (rank > maxRank) maxRank = rank;
      totalBytes += bytes.length;
    }
  }
  if (maxRank >= 2 ** 21) throw new Error(`${name}: ranks up to ${maxRank} do not fit the heap keys (2^21)`);
  const byteRank = new Int32Array(256).fill(-1);
  for (let b = 0; b < 256; b++) byteRank[b] = ranks.get(String.fromCharCode(b)) ?? -1;
  return { name, ranks, maxTokenBytes, special: file.special_tokens, patStr: file.pat_str, byteRank, table: tokenTable(ranks, maxRank, totalBytes, maxTokenBytes) };
}

function tokenTable(ranks: Map<string, number>, maxRank: number, totalBytes: number, maxTokenBytes: number): TokenTable {
  const n = maxRank + 1;
  const bytes = new Uint8Array(totalBytes);
  const offset = new Int32Array(n);
  const length = new Int32Array(n);
  const hash = new Int32Array(n);
  let bits = 1;
  while (1 << bits < 2 * n) bits++;
  const slots = new Int32Array(1 << bits);
  const mask = (1 << bits) - 1;
  let at = 0;
  for (const [s, rank] of ranks) {
    offset[rank] = at;
    length[rank] = s.length;
    let h = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      bytes[at++] = c;
      h = (Math.imul(h, HASH_BASE) + c) | 0;
    }
    hash[rank] = h;
    let slot = slotOf(h, bits);
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = rank + 1;
  }
  const pow = new Int32Array(maxTokenBytes + 1);
  pow[0] = 1;
  for (let k = 1; k <= maxTokenBytes; k++) pow[k] = Math.imul(pow[k - 1]!, HASH_BASE);
  return { bytes, offset, length, hash, slots, bits, pow };
}

const slotOf = (h: number, bits: number): number => Math.imul(h, 0x9e3779b1) >>> (32 - bits);

/** Rank of the bytes of token `a` followed by token `b`, or -1 when that is no token. */
export function pairRank(r: BpeRanks, a: number, b: number): number {
  const t = r.table;
  const la = t.length[a]!;
  const lb = t.length[b]!;
  const len = la + lb;
  if (len > r.maxTokenBytes) return -1;
  const h = (Math.imul(t.hash[a]!, t.pow[lb]!) + t.hash[b]!) | 0;
  const mask = (1 << t.bits) - 1;
  const bytes = t.bytes;
  for (let slot = slotOf(h, t.bits); ; slot = (slot + 1) & mask) {
    const c = t.slots[slot]! - 1;
    if (c < 0) return -1;
    if (t.hash[c] !== h || t.length[c] !== len) continue;
    const oc = t.offset[c]!;
    const oa = t.offset[a]!;
    const ob = t.offset[b]!;
    let same = true;
    for (let i = 0; i < la && same; i++) same = bytes[oc + i] === bytes[oa + i];
    for (let i = 0; i < lb && same; i++) same = bytes[oc + la + i] === bytes[ob + i];
    if (same) return c;
  }
}

/** Rank × 2^32 + start packs both heap keys exactly into a double while ranks < 2^21 and pieces < 4 GiB. */
const START_BITS = 2 ** 32;
/** Scratch arrays grown past this many bytes are dropped after the piece (a 6 MiB piece needs ~200 MB). */
const RETAIN_BYTES = 1 << 20;
/** Pieces at or under this many bytes use the reference's scan (no allocation; faster when tiny). */
const SMALL_PIECE = 12;

/** Scratch arrays reused across calls (grown on demand); one set per thread. */
let cap = 0;
let nextA = new Int32Array(0);
let prevA = new Int32Array(0);
let rankA = new Int32Array(0);
let heap = new Float64Array(0);

function ensure(n: number): void {
  if (n <= cap) return;
  cap = Math.max(n, Math.min(cap * 2, RETAIN_BYTES), 64);
  nextA = new Int32Array(cap + 1);
  prevA = new Int32Array(cap + 1);
  rankA = new Int32Array(cap + 1);
  heap = new Float64Array(3 * cap);
}

/**
 * Encodes one pre-tokenised piece (its UTF-8 bytes as a latin1 string). Returns the number of tokens;
 * pushes the token ids onto `out` when given. Bytes absent from the ranks (impossible for byte-level
 * encodings, which rank every single byte) are skipped, as the reference does.
 *
 * The heap (4-ary, one double per entry: rank × 2^32 + left start) may hold entries made stale by
 * earlier merges. A popped entry is applied only if the pair now at its left start still has its
 * rank: then it is a current pair with the lowest rank, leftmost among equals — the reference's
 * choice. (A stale entry equal to a current pair is that pair; its own entry is dropped later, as the
 * pair there has changed by then: a merged part's next pair is a longer string, so another rank.)
 */
export function bpePiece(bytes: string, r: BpeRanks, out?: number[]): number {
  if (bytes.length <= RETAIN_BYTES) return mergePiece(bytes, r, out);
  try {
    return mergePiece(bytes, r, out);
  } finally {
    cap = 0;
    nextA = prevA = rankA = new Int32Array(0);
    heap = new Float64Array(0);
  }
}

function mergePiece(bytes: string, r: BpeRanks, out?: number[]): number {
  const whole = r.ranks.get(bytes);
  if (whole !== undefined) {
    out?.push(whole);
    return 1;
  }
  const n = bytes.length;
  if (n <= SMALL_PIECE) return scanMerge(bytes, r, out);
  ensure(n);
  const next = nextA;
  const prev = prevA;
  const rank = rankA; // the token id of the part starting here
  const h = heap;
  const byteRank = r.byteRank;
  // Parts are identified by their start byte; next[start] is the next part's start (n at the end), -1 once merged away.
  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
    rank[i] = byteRank[bytes.charCodeAt(i)]!;
  }
  let size = 0;
  for (let i = 0; i + 1 < n; i++) {
    const pr = rank[i]! < 0 || rank[i + 1]! < 0 ? -1 : pairRank(r, rank[i]!, rank[i + 1]!);
    if (pr >= 0) h[size++] = pr * START_BITS + i;
  }
  // Floyd's heapify: O(n).
  for (let i = (size - 2) >> 2; i >= 0; i--) siftDown(h, size, i, h[i]!);
  let parts = n;
  while (size > 0) {
    const key = h[0]!;
    size--;
    if (size > 0) siftDown(h, size, 0, h[size]!);
    const popped = Math.floor(key / START_BITS);
    const left = key - popped * START_BITS;
    const right = next[left]!;
    if (right < 0 || right >= n) continue; // left part merged away, or it is the last part
    const end = next[right]!;
    if (pairRank(r, rank[left]!, rank[right]!) !== popped) continue; // stale
    // Merge left and right into [left, end): the new part's token is the popped rank.
    next[left] = end;
    next[right] = -1;
    rank[left] = popped;
    if (end < n) prev[end] = left;
    parts--;
    const before = prev[left]!;
    if (before >= 0) {
      const pr = pairRank(r, rank[before]!, popped);
      if (pr >= 0) size = heapPush(h, size, pr * START_BITS + before);
    }
    if (end < n) {
      const pr = pairRank(r, popped, rank[end]!);
      if (pr >= 0) size = heapPush(h, size, pr * START_BITS + left);
    }
  }
  if (!out) return parts;
  let count = 0;
  for (let i = 0; i < n; i = next[i]!) {
    if (rank[i]! >= 0) {
      out.push(rank[i]!);
      count++;
    }
  }
  return count;
}

/** Moves `key` down from slot `i` of a 4-ary min-heap of `size` entries. */
function siftDown(h: Float64Array, size: number, i: number, key: number): void {
  for (;;) {
    const c = 4 * i + 1;
    if (c >= size) break;
    let m = c;
    let mk = h[c]!;
    const last = Math.min(c + 4, size);
    for (let j = c + 1; j < last; j++) {
      const k = h[j]!;
      if (k < mk) {
        mk = k;
        m = j;
      }
    }
    if (mk >= key) break;
    h[i] = mk;
    i = m;
  }
  h[i] = key;
}

/** Pushes `key` onto a 4-ary min-heap of `size` entries; returns the new size. */
function heapPush(h: Float64Array, size: number, key: number): number {
  let i = size;
  while (i > 0) {
    const p = (i - 1) >> 2;
    if (h[p]! <= key) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = key;
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
