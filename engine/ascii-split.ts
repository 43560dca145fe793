/**
 * The encodings' pre-tokenising split (js-tiktoken's `pat_str`) for ASCII text, without the regex: the
 * pattern's alternatives decided in order, as the regex engine does, on the six classes ASCII has
 * (upper, lower, digit, newline, other whitespace, other). A regex match costs more than the rest of
 * counting a short piece. It reads the text's bytes (one per character: ASCII only, engine/tokens.ts
 * asks the regex for any other text). test/engine/ascii-split.test.ts compares it with the patterns on
 * random texts of the characters that matter.
 *
 * o200k_base: `[^\r\n\p{L}\p{N}]?[upper]*[lower]+(contraction)?` | `[^\r\n\p{L}\p{N}]?[upper]+[lower]*(contraction)?`
 *   | `\p{N}{1,3}` | ` ?[^\s\p{L}\p{N}]+[\r\n/]*` | `\s*[\r\n]+` | `\s+(?!\S)` | `\s+`
 * cl100k_base: `(contraction)` | `[^\r\n\p{L}\p{N}]?\p{L}+` | `\p{N}{1,3}` | ` ?[^\s\p{L}\p{N}]+[\r\n]*` | the same three.
 */

const UPPER = 1;
const LOWER = 2;
const DIGIT = 3;
const NEWLINE = 4;
const SPACE = 5;
const OTHER = 6;

/** ASCII character classes (JavaScript's `\s` in ASCII is tab, LF, VT, FF, CR and space). */
const CLASS = new Uint8Array(128).map((_, c) => {
  if (c >= 0x41 && c <= 0x5a) return UPPER;
  if (c >= 0x61 && c <= 0x7a) return LOWER;
  if (c >= 0x30 && c <= 0x39) return DIGIT;
  if (c === 0x0a || c === 0x0d) return NEWLINE;
  if (c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c) return SPACE;
  return OTHER;
});

const classAt = (bytes: Uint8Array, i: number): number => CLASS[bytes[i]!]!;
const isLetter = (k: number) => k === UPPER || k === LOWER;

/**
 * End of the piece that starts at `i` (< `n`) of an ASCII text whose bytes are `bytes[0, n)`, for
 * cl100k_base's pattern or else o200k_base's.
 */
export function asciiPieceEnd(bytes: Uint8Array, i: number, n: number, cl100k: boolean): number {
  const k = classAt(bytes, i);
  if (cl100k && bytes[i] === 0x27) {
    const e = contractionEnd(bytes, i, n);
    if (e > 0) return e;
  }
  // The letter alternatives: an optional prefix (not CR/LF, letter or digit), then letters.
  const start = k === OTHER || k === SPACE ? i + 1 : i;
  if (start < n && isLetter(classAt(bytes, start))) return cl100k ? lettersEnd(bytes, start, n) : o200kLettersEnd(bytes, start, n);
  if (k === DIGIT) {
    let e = i + 1;
    while (e < n && e < i + 3 && classAt(bytes, e) === DIGIT) e++;
    return e;
  }
  // ` ?[^\s\p{L}\p{N}]+` then trailing newlines (and slashes, o200k).
  const other = k === OTHER ? i : bytes[i] === 0x20 && start < n && classAt(bytes, start) === OTHER ? start : -1;
  if (other >= 0) {
    let e = other + 1;
    while (e < n && classAt(bytes, e) === OTHER) e++;
    for (; e < n; e++) {
      const c = bytes[e];
      if (c !== 0x0a && c !== 0x0d && (cl100k || c !== 0x2f)) break;
    }
    return e;
  }
  return whitespaceEnd(bytes, i, n);
}

/** `\s*[\r\n]+` | `\s+(?!\S)` | `\s+` at a whitespace character. */
function whitespaceEnd(bytes: Uint8Array, i: number, n: number): number {
  let lastNewline = -1;
  let e = i;
  for (; e < n; e++) {
    const d = classAt(bytes, e);
    if (d === NEWLINE) lastNewline = e;
    else if (d !== SPACE) break;
  }
  if (lastNewline >= 0) return lastNewline + 1;
  if (e === n || e - i === 1) return e;
  return e - 1;
}

/** cl100k's `\p{L}+` from `i`. */
function lettersEnd(bytes: Uint8Array, i: number, n: number): number {
  let e = i;
  while (e < n && isLetter(classAt(bytes, e))) e++;
  return e;
}

/** o200k's `[upper]*[lower]+` or else `[upper]+[lower]*`, then an optional contraction, from `i` (a letter). */
function o200kLettersEnd(bytes: Uint8Array, i: number, n: number): number {
  let e = i;
  while (e < n && classAt(bytes, e) === UPPER) e++;
  while (e < n && classAt(bytes, e) === LOWER) e++;
  const c = contractionEnd(bytes, e, n);
  return c > 0 ? c : e;
}

/** End of `'s|'t|'re|'ve|'m|'ll|'d` (either case) at `i`, or 0. */
function contractionEnd(bytes: Uint8Array, i: number, n: number): number {
  if (i + 1 >= n || bytes[i] !== 0x27) return 0;
  const a = bytes[i + 1]! | 0x20; // lower-cased
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return i + 2; // s t m d
  if (i + 2 >= n) return 0;
  const b = bytes[i + 2]! | 0x20;
  if (((a === 0x72 || a === 0x76) && b === 0x65) || (a === 0x6c && b === 0x6c)) return i + 3; // re ve ll
  return 0;
}
