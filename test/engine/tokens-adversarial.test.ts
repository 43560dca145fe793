import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import * as gptCl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as gptO200k from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { bpePiece, loadBpeRanks } from '../../engine/bpe.js';
import { countTokens, encodeTokens } from '../../engine/tokens.js';
import { Prng } from '../../offline/trace/prng.js';

/**
 * The heap BPE (engine/bpe.ts) against two other exact implementations on the inputs that made the
 * reference loop quadratic (issue #14): js-tiktoken (the reference: same ids) on ~2,000-byte
 * pieces, gpt-tokenizer (same counts) on ~20,000-byte ones. Both are slow there — that is the bug.
 */
const rng = new Prng('tokens-adversarial');
const pick = (s: string): string => s[rng.int(s.length)]!;
const run = (n: number, f: () => string): string => Array.from({ length: n }, f).join('');
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const EMOJI = ['😀', '🙂', '👍🏽', '🇫🇷', '👩‍💻', '✓', '—'];

/** Adversarial shapes of about `n` UTF-8 bytes each. */
function shapes(n: number): Record<string, string> {
  return {
    'random letters': run(n, () => pick(LOWER)),
    'random alphanumerics': run(n, () => pick(ALNUM)),
    "'a' × N": 'a'.repeat(n),
    'upper case run': 'A'.repeat(n),
    CJK: run(Math.ceil(n / 3), () => String.fromCharCode(0x4e00 + rng.int(20_000))),
    emoji: run(Math.ceil(n / 5), () => EMOJI[rng.int(EMOJI.length)]!),
    punctuation: run(n, () => pick('!?.,;:-_=+*/\\|<>()[]{}#$%^&~`\'"')),
    'combining marks': `a${'\u0301'.repeat(Math.ceil(n / 2))}`,
    whitespace: run(n, () => pick(' \t  \u00a0')) + 'x',
    mixed: run(n, () => (rng.int(10) === 0 ? EMOJI[rng.int(EMOJI.length)]! : rng.int(8) === 0 ? String.fromCharCode(0x3040 + rng.int(90)) : pick(ALNUM))),
    'hex digits': run(n, () => pick('0123456789abcdef')),
  };
}

describe('exact BPE on long adversarial pieces', () => {
  const reference = { cl100k_base: new Tiktoken(cl100k), o200k_base: new Tiktoken(o200k) } as const;
  for (const [name, text] of Object.entries(shapes(2_000))) {
    it(`same ids as js-tiktoken: ${name} (2,000)`, () => {
      for (const enc of ['cl100k_base', 'o200k_base'] as const) {
        const ids = reference[enc].encode(text, [], []);
        expect(encodeTokens(text, enc)).toEqual(ids);
        expect(countTokens(text, enc)).toBe(ids.length);
      }
    });
  }

  const second = { cl100k_base: gptCl100k, o200k_base: gptO200k } as const;
  for (const [name, text] of Object.entries(shapes(20_000))) {
    if (name === 'combining marks' || name === 'whitespace') continue; // gpt-tokenizer is quadratic-slow on these too; covered at 2,000 above
    it(`same count as gpt-tokenizer: ${name} (20,000)`, () => {
      for (const enc of ['cl100k_base', 'o200k_base'] as const) expect(countTokens(text, enc)).toBe(second[enc].countTokens(text));
    });
  }

  it('merges in the reference order on random pieces of every length (lowest rank, leftmost on ties)', () => {
    const ranks = loadBpeRanks('cl100k_base', cl100k);
    const ref = reference.cl100k_base;
    for (let i = 0; i < 400; i++) {
      const len = 1 + rng.int(i < 200 ? 60 : 400);
      const text = run(len, () => pick(i % 2 ? 'ab' : 'abcab c')); // tiny alphabets: many equal-rank ties
      const bytes = Buffer.from(text, 'utf8').toString('latin1');
      const out: number[] = [];
      bpePiece(bytes, ranks, out);
      // The whole text as one piece (no pre-tokenisation), against the reference loop on the same bytes.
      const expected = (ref as unknown as { rankMap: Map<string, number> }).rankMap.get([...Buffer.from(text)].join(','));
      if (expected !== undefined) expect(out).toEqual([expected]);
      else expect(out).toEqual(bytePairMergeReference(Buffer.from(text), ranks.ranks));
    }
  });
});

/** tiktoken's reference merge loop, written out (for the piece-level check above). */
function bytePairMergeReference(piece: Buffer, ranks: Map<string, number>): number[] {
  const s = piece.toString('latin1');
  const starts = Array.from({ length: s.length + 1 }, (_, i) => i);
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 2 < starts.length; i++) {
      const r = ranks.get(s.slice(starts[i], starts[i + 2]));
      if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
    }
    if (best < 0) break;
    starts.splice(best + 1, 1);
  }
  return starts.slice(1).map((end, i) => ranks.get(s.slice(starts[i], end))!);
}

describe('bounded counting', () => {
  it('counts 1 MiB unbroken runs (the reference loop takes hours on these)', () => {
    const mib = 1 << 20;
    expect(countTokens('a'.repeat(mib), 'cl100k_base')).toBe(mib / 8);
    expect(countTokens('a'.repeat(mib), 'o200k_base')).toBe(mib / 8);
    const letters = run(mib, () => pick(LOWER));
    expect(countTokens(letters, 'o200k_base')).toBeGreaterThan(mib / 4);
  });
});
