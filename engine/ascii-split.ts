/**
 * The encodings' pre-tokenising split (js-tiktoken's `pat_str`) for ASCII text, without the regex: the
 * pattern's alternatives decided in order, as the regex engine does, on the six classes ASCII has
 * (upper, lower, digit, newline, other whitespace, other). A regex match costs more than the rest of
 * counting a short piece. Wherever the answer depends on a non-ASCII character (a letter, digit, mark or
 * space the pattern's Unicode classes decide), {@link asciiPieceEnd} answers -1 and the caller asks the
 * regex; the pattern has no lookbehind, so a piece depends only on the text from its start on.
 * test/engine/ascii-split.test.ts compares both on random texts of the characters that matter.
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
const NON_ASCII = 0;

/** ASCII character classes (JavaScript's `\s` in ASCII is tab, LF, VT, FF, CR and space). */
const CLASS = new Uint8Array(128).map((_, c) => {
  if (c >= 0x41 && c <= 0x5a) return UPPER;
  if (c >= 0x61 && c <= 0x7a) return LOWER;
  if (c >= 0x30 && c <= 0x39) return DIGIT;
  if (c === 0x0a || c === 0x0d) return NEWLINE;
  if (c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c) return SPACE;
  return OTHER;
});

/** The class of the character at `i` (`NON_ASCII` past the end is never asked: callers check the length). */
function classAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 0x80 ? CLASS[c]! : NON_ASCII;
}

const isLetter = (k: number) => k === UPPER || k === LOWER;

/**
 * End of the piece that starts at `i` (< text.length) for the encoding's pattern, or -1 when a non-ASCII
 * character decides it (then the regex must).
 */
export function asciiPieceEnd(text: string, i: number, cl100k: boolean): number {
  const n = text.length;
  const k = classAt(text, i);
  if (k === NON_ASCII) return -1;
  if (cl100k && text.charCodeAt(i) === 0x27) {
    const e = contractionEnd(text, i);
    if (e > 0) return e;
  }
  // The letter alternatives: an optional prefix (not CR/LF, letter or digit), then letters.
  const start = k === OTHER || k === SPACE ? i + 1 : i;
  if (start < n) {
    const l = classAt(text, start);
    if (l === NON_ASCII) return -1;
    if (isLetter(l)) return cl100k ? lettersEnd(text, start) : o200kLettersEnd(text, start);
  }
  if (k === DIGIT) {
    let e = i + 1;
    for (; e < n && e < i + 3; e++) {
      const d = classAt(text, e);
      if (d === NON_ASCII) return -1;
      if (d !== DIGIT) break;
    }
    return e;
  }
  // ` ?[^\s\p{L}\p{N}]+` then trailing newlines (and slashes, o200k).
  const other = k === OTHER ? i : text.charCodeAt(i) === 0x20 && start < n && classAt(text, start) === OTHER ? start : -1;
  if (other >= 0) {
    let e = other + 1;
    for (; e < n; e++) {
      const d = classAt(text, e);
      if (d === NON_ASCII) return -1;
      if (d !== OTHER) break;
    }
    for (; e < n; e++) {
      const c = text.charCodeAt(e);
      if (c !== 0x0a && c !== 0x0d && (cl100k || c !== 0x2f)) break;
    }
    return e;
  }
  return whitespaceEnd(text, i);
}

/** `\s*[\r\n]+` | `\s+(?!\S)` | `\s+` at a whitespace character. */
function whitespaceEnd(text: string, i: number): number {
  const n = text.length;
  let lastNewline = -1;
  let e = i;
  for (; e < n; e++) {
    const d = classAt(text, e);
    if (d === NON_ASCII) return -1;
    if (d === NEWLINE) lastNewline = e;
    else if (d !== SPACE) break;
  }
  if (lastNewline >= 0) return lastNewline + 1;
  if (e === n || e - i === 1) return e;
  return e - 1;
}

/** cl100k's `\p{L}+` from `i`. */
function lettersEnd(text: string, i: number): number {
  let e = i;
  for (; e < text.length; e++) {
    const d = classAt(text, e);
    if (d === NON_ASCII) return -1;
    if (!isLetter(d)) break;
  }
  return e;
}

/** o200k's `[upper]*[lower]+` or else `[upper]+[lower]*`, then an optional contraction, from `i` (a letter). */
function o200kLettersEnd(text: string, i: number): number {
  const n = text.length;
  let e = i;
  let d = UPPER;
  for (; e < n && (d = classAt(text, e)) === UPPER; e++);
  for (; e < n && (d = classAt(text, e)) === LOWER; e++);
  if (e < n && d === NON_ASCII) return -1;
  const c = contractionEnd(text, e);
  return c > 0 ? c : e;
}

/** End of `'s|'t|'re|'ve|'m|'ll|'d` (either case) at `i`, or 0. */
function contractionEnd(text: string, i: number): number {
  if (text.charCodeAt(i) !== 0x27) return 0;
  const a = text.charCodeAt(i + 1) | 0x20; // lower-cased (NaN past the end → 0x20)
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return i + 2; // s t m d
  const b = text.charCodeAt(i + 2) | 0x20;
  if (((a === 0x72 || a === 0x76) && b === 0x65) || (a === 0x6c && b === 0x6c)) return i + 3; // re ve ll
  return 0;
}
