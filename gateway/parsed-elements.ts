import { randomUUID } from 'node:crypto';
import { deepFreeze, TextKeyedCache } from '../index.js';
import type { ArraySpan } from './top-level-arrays.js';

/**
 * The elements of request bodies' `messages` and `tools` arrays, and their long strings, parsed once per
 * text. An agent resends its whole history and its tool definitions with every turn: a 30-turn history is
 * ~25 KB of JSON that `JSON.parse` read again each time (~150-200 µs on a shared 2-core machine), though
 * only the last turns are new; and tool results (often JSON themselves, full of escapes) are the costliest
 * strings to parse. Before a body is parsed:
 * - an element seen before (a message, a tool definition; by its text) is cut out, a `0` standing in its
 *   place, and the element parsed earlier is put back at that index afterwards;
 * - in the other elements, a long string value seen before is replaced by a marker string (a NUL, a
 *   random per-process id and a number: no client can send one), and the string parsed earlier is put
 *   back where the marker landed.
 *
 * Why the result is `JSON.parse(text)` itself: a remembered text is one `JSON.parse` accepted, found where
 * the scan (gateway/top-level-arrays.ts, exact on valid JSON) saw an array element or a string value. A
 * JSON parser reads the text before that position the same in both texts, so it either fails there for
 * both or reaches the position expecting what the scan saw; one complete value (or string) then leaves it
 * in the same state as another. So the cut text parses if and only if the body does, to the same value
 * but for what was cut. Every stand-in must be found where it is put back; otherwise the caller parses the
 * whole body as it is.
 *
 * A text is remembered the second time it is seen (the first time only its fingerprint is noted): a body
 * of new texts costs no copies. Remembered elements are frozen (every request that sends them shares them:
 * nothing may change a parsed body) and remembered texts are copied out of the body (a slice would keep
 * each whole body alive).
 */

/** Elements shorter than this are parsed each time (less work than finding them). */
const MIN_ELEMENT = 256;
const MAX_ENTRIES = 5_000;
const MAX_CHARS = 8 * 1024 * 1024;
const MAX_SEEN = 50_000;

/** What was cut out of a body before it was parsed. */
export interface Cuts {
  /** Elements put back by index. */
  elements: { key: string; index: number; value: unknown }[];
  /** Strings put back by marker (`markers[i]` stands for `strings[i]`, cut at text index `at[i]`). */
  markers: string[];
  strings: string[];
  at: number[];
}

export class ParsedElements {
  private readonly elements = new TextKeyedCache<unknown>(MAX_ENTRIES, MAX_CHARS);
  private readonly strings = new TextKeyedCache<string>(MAX_ENTRIES, MAX_CHARS);
  /** Fingerprints of long texts seen once ({@link seenBefore}). */
  private readonly seen = new Set<number>();
  private readonly prefix = `\u0000tollgate:${randomUUID()}:`;

  /** `text` with what is remembered cut out, and the cuts (none: `text` itself). */
  cut(text: string, arrays: ReadonlyMap<string, ArraySpan>): { text: string; cuts: Cuts } {
    const cuts: Cuts = { elements: [], markers: [], strings: [], at: [] };
    const pieces: string[] = [];
    let from = 0;
    const stand = (start: number, end: number, by: string) => {
      pieces.push(text.slice(from, start), by);
      from = end;
    };
    for (const [key, span] of [...arrays].sort((a, b) => a[1].start - b[1].start)) {
      const e = span.elements;
      const s = span.strings;
      let k = 0; // the next long string
      for (let i = 0; i < e.length; i += 2) {
        const start = e[i]!;
        const end = e[i + 1]!;
        const value = end - start >= MIN_ELEMENT ? this.elements.get(text.slice(start, end)) : undefined;
        if (value !== undefined) {
          stand(start, end, '0');
          cuts.elements.push({ key, index: i >> 1, value });
          while (k < s.length && s[k]! < end) k += 2;
          continue;
        }
        for (; k < s.length && s[k]! < end; k += 2) {
          const value = this.strings.get(text.slice(s[k]!, s[k + 1]!));
          if (value === undefined) continue;
          const marker = `${this.prefix}${cuts.markers.length}`;
          stand(s[k]!, s[k + 1]!, JSON.stringify(marker));
          cuts.markers.push(marker);
          cuts.strings.push(value);
          cuts.at.push(s[k]!);
        }
      }
    }
    if (from === 0) return { text, cuts };
    pieces.push(text.slice(from));
    return { text: pieces.join(''), cuts };
  }

  /**
   * Puts what was cut back into the parsed `value` and remembers the body's new long elements and strings.
   * False when a stand-in is not found where it was put (the caller then parses the whole body).
   */
  restore(value: Record<string, unknown>, text: string, arrays: ReadonlyMap<string, ArraySpan>, cuts: Cuts): boolean {
    for (const c of cuts.elements) {
      const array = value[c.key];
      if (!Array.isArray(array) || array[c.index] !== 0) return false;
    }
    if (cuts.markers.length > 0) {
      let found = 0;
      for (const key of arrays.keys()) {
        const array = value[key];
        if (Array.isArray(array)) found += this.putStrings(array, cuts);
      }
      if (found !== cuts.markers.length) return false;
    }
    for (const c of cuts.elements) (value[c.key] as unknown[])[c.index] = c.value;
    this.remember(value, text, arrays, new Set(cuts.at));
    return true;
  }

  /** Replaces the markers found in `node` (not in frozen, remembered elements) by their strings; how many. */
  private putStrings(node: unknown, cuts: Cuts): number {
    let found = 0;
    const pending: object[] = [node as object];
    for (let n = pending.pop(); n !== undefined; n = pending.pop()) {
      if (Object.isFrozen(n)) continue;
      const o = n as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const v = o[k];
        if (typeof v === 'string') {
          if (v.length > this.prefix.length && v.startsWith(this.prefix)) {
            const i = Number(v.slice(this.prefix.length));
            if (cuts.markers[i] !== v) return Number.NaN; // (never: the prefix is this process's own)
            o[k] = cuts.strings[i];
            found++;
          }
        } else if (v !== null && typeof v === 'object') pending.push(v);
      }
    }
    return found;
  }

  /**
   * Remembers the long elements and strings not cut (those inside remembered elements aside) that were seen
   * before: a text seen once is only noted by its fingerprint, so a body of new texts pays no copies.
   */
  private remember(value: Record<string, unknown>, text: string, arrays: ReadonlyMap<string, ArraySpan>, cutStrings: ReadonlySet<number>): void {
    for (const [key, span] of arrays) {
      const array = value[key];
      const e = span.elements;
      const s = span.strings;
      if (!Array.isArray(array) || array.length !== e.length / 2) continue;
      let k = 0;
      for (let i = 0; i < e.length; i += 2) {
        const start = e[i]!;
        const end = e[i + 1]!;
        const element = array[i >> 1];
        if (element !== null && typeof element === 'object' && Object.isFrozen(element)) {
          while (k < s.length && s[k]! < end) k += 2; // a remembered element: its strings need nothing
          continue;
        }
        for (; k < s.length && s[k]! < end; k += 2) {
          if (!cutStrings.has(s[k]!) && this.seenBefore(text, s[k]!, s[k + 1]!)) {
            const token = text.slice(s[k]!, s[k + 1]!);
            this.strings.set(copied(token), JSON.parse(token) as string);
          }
        }
        if (end - start >= MIN_ELEMENT && element !== null && typeof element === 'object' && this.seenBefore(text, start, end)) {
          this.elements.set(copied(text.slice(start, end)), deepFreeze(element));
        }
      }
    }
  }

  /** Whether `text[start, end)` was seen before (by fingerprint: a collision only remembers a text early); notes it. */
  private seenBefore(text: string, start: number, end: number): boolean {
    const print = fingerprint(text, start, end);
    if (this.seen.has(print)) return true;
    if (this.seen.size >= MAX_SEEN) this.seen.clear();
    this.seen.add(print);
    return false;
  }
}

/** A text's length and 24 of its characters, hashed (FNV-1a). */
function fingerprint(text: string, start: number, end: number): number {
  const n = end - start;
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  for (let i = 0; i < 8; i++) h = Math.imul(h ^ text.charCodeAt(start + i), 0x01000193);
  for (let i = end - 8; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  const step = (n - 16) / 9;
  for (let k = 1; k <= 8; k++) h = Math.imul(h ^ text.charCodeAt(start + 8 + Math.floor(k * step)), 0x01000193);
  return h >>> 0;
}

/** A string of its own, not a slice of the body (V8 flattens the sum into a new string before slicing it). */
function copied(s: string): string {
  return `${s} `.slice(0, -1);
}
