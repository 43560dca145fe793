import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { getEncoding } from 'js-tiktoken';
import { describe, expect, it } from 'vitest';
import { asciiPieceEnd } from '../../engine/ascii-split.js';
import { encodeTokens } from '../../engine/tokens.js';
import { packageRoot } from '../../policies/bundled-files.js';

/**
 * engine/ascii-split.ts against the encodings' own patterns: on random texts of the characters the patterns
 * distinguish (letters of both cases, contraction letters, digits, each kind of whitespace, punctuation, the
 * slash, and non-ASCII letters, digits, marks, spaces and emoji), every regex piece starts where the last
 * ended and the scanner finds its end or defers to the regex (-1); and whole texts encode as js-tiktoken does.
 */
const pattern = (name: string) =>
  new RegExp((JSON.parse(gunzipSync(readFileSync(join(packageRoot(), 'engine', 'ranks', `${name}.json.gz`))).toString('utf8')) as { pat_str: string }).pat_str, 'gu');
const PATTERNS = { o200k_base: pattern('o200k_base'), cl100k_base: pattern('cl100k_base') };
const ALPHABET = ['a', 'b', 'z', 'A', 'Q', 'Z', 's', 'S', 't', 'r', 'R', 'e', 'E', 'v', 'l', 'L', 'd', 'm', 'M', "'", "'", ' ', ' ', ' ', '\t', '\n', '\r', '\v', '\f', '0', '5', '9', '{', '"', ':', ',', '/', '!', '\u0001', '\u001f', '\u007f', 'é', 'É', 'ß', '\u0301', '\u00a0', '\u2028', '٣', '中', '🙂'];

function randomText(seed: number, length: number): string {
  let x = seed * 2654435761 + 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += ALPHABET[(x >>> 8) % ALPHABET.length];
  }
  return out;
}

describe('ASCII split without the regex', () => {
  for (const [encoding, pattern] of Object.entries(PATTERNS)) {
    it(`finds ${encoding}'s pieces exactly or defers`, () => {
      let decided = 0;
      for (let seed = 1; seed <= 20_000; seed++) {
        const text = randomText(seed, 1 + (seed % 24));
        let at = 0;
        for (const m of text.matchAll(pattern)) {
          expect(m.index).toBe(at); // contiguous: the pattern matches at every position
          const end = asciiPieceEnd(text, at, encoding === 'cl100k_base');
          if (end >= 0) {
            decided++;
            if (end !== at + m[0].length) expect({ text, at, end }).toEqual({ text, at, end: at + m[0].length });
          }
          at += m[0].length;
        }
        expect(at).toBe(text.length);
      }
      expect(decided).toBeGreaterThan(50_000);
    });
  }

  it('encodes random texts as js-tiktoken does', () => {
    for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
      const reference = getEncoding(encoding);
      for (let seed = 1; seed <= 3_000; seed++) {
        const text = randomText(seed + 100_000, 1 + (seed % 60));
        expect(encodeTokens(text, encoding)).toEqual(reference.encode(text));
      }
    }
  });
});
