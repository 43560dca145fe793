import { describe, expect, it } from 'vitest';
import { countChatTokens, countTokens, encodeTokens } from '../../engine/tokens.js';

/** The per-text count cache (engine/tokens.ts) keeps counts exact: a cached count is the encoder's count. */
describe('token count cache per text', () => {
  const turn = (i: number) => `Turn ${i}: the export button does nothing when the report has more than 10,000 rows; ` + 'logs attached. '.repeat(30);
  it('a repeated text counts the same as encoding it, for both encodings', () => {
    for (const enc of ['o200k_base', 'cl100k_base'] as const) {
      for (let i = 0; i < 5; i++) {
        const t = turn(i);
        expect(countTokens(t, enc)).toBe(encodeTokens(t, enc).length);
        expect(countTokens(t, enc)).toBe(encodeTokens(t, enc).length); // second time from the cache
        expect(countTokens(`${t}!`, enc)).toBe(encodeTokens(`${t}!`, enc).length); // a near-identical text is counted anew
      }
    }
  });
  it('a growing chat counts every turn as it would uncached, and stays exact past the cache limit', () => {
    const messages: { role: 'user' | 'assistant'; content: string }[] = [];
    for (let i = 0; i < 40; i++) {
      messages.push({ role: i % 2 ? 'assistant' : 'user', content: turn(i) });
      const expected = 3 + messages.reduce((a, m) => a + 3 + encodeTokens(m.role, 'o200k_base').length + encodeTokens(m.content, 'o200k_base').length, 0);
      expect(countChatTokens(messages, 'o200k_base')).toBe(expected);
    }
    // Many distinct long texts (more characters than the cache keeps): still exact.
    const big = 'word '.repeat(44_000);
    for (let i = 0; i < 20; i++) expect(countTokens(`${i} ${big}`, 'o200k_base')).toBe(encodeTokens(`${i} ${big}`, 'o200k_base').length);
  });
});
