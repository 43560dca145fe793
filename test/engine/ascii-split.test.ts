import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { getEncoding } from 'js-tiktoken';
import { describe, expect, it } from 'vitest';
import { asciiPieceEnd } from '../../engine/ascii-split.js';
import { encodeTokens } from '../../engine/tokens.js';
import { packageRoot } from '../../policies/bundled-files.js';

/**
 * engine/ascii-split.ts against the encodings' own patterns: on random ASCII texts of the characters the
 * patterns distinguish (letters of both cases, contraction letters, digits, each kind of whitespace,
 * punctuation, the slash, control characters), the scanner finds every regex piece; and random texts with
 * non-ASCII letters, digits, marks, spaces and emoji mixed in (counted by the regex) encode as js-tiktoken does.
 */
const pattern = (name: string) =>
  new RegExp((JSON.parse(gunzipSync(readFileSync(join(packageRoot(), 'engine', 'ranks', `${name}.json.gz`))).toString('utf8')) as { pat_str: string }).pat_str, 'gu');
const PATTERNS = { o200k_base: pattern('o200k_base'), cl100k_base: pattern('cl100k_base') };
const ASCII = ['a', 'b', 'z', 'A', 'Q', 'Z', 's', 'S', 't', 'r', 'R', 'e', 'E', 'v', 'l', 'L', 'd', 'm', 'M', "'", "'", ' ', ' ', ' ', '\t', '\n', '\r', '\v', '\f', '0', '5', '9', '{', '"', ':', ',', '/', '!', '\u0001', '\u001f', '\u007f'];
const ALPHABET = [...ASCII, 'é', 'É', 'ß', '\u0301', '\u00a0', '\u2028', '٣', '中', '🙂'];

function randomText(seed: number, length: number, alphabet: readonly string[] = ALPHABET): string {
  let x = seed * 2654435761 + 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += alphabet[(x >>> 8) % alphabet.length];
  }
  return out;
}

describe('ASCII split without the regex', () => {
  for (const [encoding, pattern] of Object.entries(PATTERNS)) {
    it(`finds ${encoding}'s pieces exactly`, () => {
      const bytes = new Uint8Array(64).fill(0x61); // bytes past the text's end must not be read
      for (let seed = 1; seed <= 20_000; seed++) {
        const text = randomText(seed, 1 + (seed % 24), ASCII);
        for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
        let at = 0;
        for (const m of text.matchAll(pattern)) {
          expect(m.index).toBe(at); // contiguous: the pattern matches at every position
          const end = asciiPieceEnd(bytes, at, text.length, encoding === 'cl100k_base');
          if (end !== at + m[0].length) expect({ text, at, end }).toEqual({ text, at, end: at + m[0].length });
          at += m[0].length;
        }
        expect(at).toBe(text.length);
        bytes.fill(0x27, text.length, text.length + 3); // an apostrophe after the end must not make a contraction
      }
    });
  }

  it('encodes random texts as js-tiktoken does', () => {
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      const reference = getEncoding(encoding);
      for (let seed = 1; seed <= 3_000; seed++) {
        const text = randomText(seed + 100_000, 1 + (seed % 60), seed % 2 ? ASCII : ALPHABET);
        expect(encodeTokens(text, encoding)).toEqual(reference.encode(text));
      }
      // Long texts (their ASCII check is native): ASCII only, and with one non-ASCII character at the end.
      for (let seed = 1; seed <= 50; seed++) {
        const ascii = randomText(seed + 200_000, 300 + seed * 40, ASCII);
        for (const text of [ascii, `${ascii}é`]) expect(encodeTokens(text, encoding)).toEqual(reference.encode(text));
      }
    }
  });
});
