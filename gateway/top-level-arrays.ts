/**
 * The source text of a JSON object's top-level array members, found without parsing it again: the gateway
 * parses a body once (gateway/json-body.ts) and hands the text of its `messages` and `tools` to the engine,
 * so an OpenAI-compatible upstream receives them as the client sent them instead of a second serialisation
 * (engine/tools-json.ts). A scan of a 30 KB agent body: string contents are skipped with `indexOf`, only
 * the structure between them is read character by character.
 *
 * The text must be one that `JSON.parse` accepted (this does not validate). For duplicate keys the last
 * one counts, as in `JSON.parse`. Anything unexpected gives `undefined`, and the caller serialises.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A whole string token with its escapes (the unrolled form: no backtracking per character). */
const STRING = /"[^"\\]*(?:\\.[^"\\]*)*"/y;

/**
 * Index just past the string token that starts at `i` (a `"`), or -1. The next quote ends it unless a
 * backslash stands before that quote; then the escapes are read by {@link STRING} (a tool result holding
 * JSON has dozens of escaped quotes, one `indexOf` each otherwise).
 */
function stringEnd(text: string, i: number): number {
  const q = text.indexOf('"', i + 1);
  if (q < 0) return -1;
  if (text.charCodeAt(q - 1) !== BACKSLASH) return q + 1;
  STRING.lastIndex = i;
  return STRING.test(text) ? STRING.lastIndex : -1;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWhitespace(text: string, i: number): number {
  while (isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the value that starts at `i`, or -1. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < text.length; ) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = stringEnd(text, j);
        if (j < 0) return -1;
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next separator.
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === 0x2c || d === 0x7d || d === 0x5d || isWhitespace(d)) break;
    j++;
  }
  return j > i ? j : -1;
}

/**
 * The text of each member of the top-level object in `text` whose key is in `keys` and whose value is an
 * array, by key; `undefined` when `text` is not an object or the scan meets anything unexpected.
 */
export function topLevelArrayTexts(text: string, keys: ReadonlySet<string>): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  i = skipWhitespace(text, i + 1);
  if (text.charCodeAt(i) === 0x7d) return out;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return undefined;
    let key = text.slice(i + 1, keyEnd - 1);
    if (key.includes('\\')) key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) return undefined;
    const start = skipWhitespace(text, i + 1);
    const end = valueEnd(text, start);
    if (end < 0) return undefined;
    if (keys.has(key)) {
      if (text.charCodeAt(start) === 0x5b) out.set(key, text.slice(start, end));
      else out.delete(key); // a later duplicate that is not an array is what JSON.parse keeps
    }
    i = skipWhitespace(text, end);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return out;
    if (c !== 0x2c) return undefined;
    i = skipWhitespace(text, i + 1);
  }
}
