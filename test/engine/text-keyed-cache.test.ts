import { describe, expect, it } from 'vitest';
import { fingerprint, TextKeyedCache } from '../../engine/text-keyed-cache.js';

/** engine/text-keyed-cache.ts: lookups by fingerprint, confirmed by `===`, so only an equal string finds a value. */
describe('text-keyed cache', () => {
  const long = (i: number) => `${'a'.repeat(500)}${i}${'b'.repeat(500)}`; // differ only at an unsampled character

  it('finds an equal string built apart (not the same object) and nothing for a different one', () => {
    const c = new TextKeyedCache<number>(100, 1_000_000);
    const text = JSON.parse(JSON.stringify('the export button does nothing '.repeat(40))) as string;
    c.set(text, 7);
    expect(c.get('the export button does nothing '.repeat(40))).toBe(7);
    expect(c.get(`${'the export button does nothing '.repeat(40)}!`)).toBeUndefined();
    expect(c.get('short')).toBeUndefined();
  });

  it('keeps strings with the same fingerprint apart, up to a bucket of four', () => {
    expect(fingerprint(long(1))).toBe(fingerprint(long(2)));
    const c = new TextKeyedCache<number>(100, 1_000_000);
    for (let i = 1; i <= 6; i++) c.set(long(i), i);
    for (let i = 1; i <= 2; i++) expect(c.get(long(i))).toBeUndefined(); // dropped from the full bucket
    for (let i = 3; i <= 6; i++) expect(c.get(long(i))).toBe(i);
    c.set(long(4), 40); // replaces, does not add
    expect(c.get(long(4))).toBe(40);
    expect(c.get(long(3))).toBe(3);
  });

  it('is bounded by entries and by characters', () => {
    const byEntries = new TextKeyedCache<number>(3, 1_000_000);
    for (const t of ['alpha', 'beta', 'gamma']) byEntries.set(t, t.length);
    byEntries.set('delta', 5); // full: cleared first
    expect(byEntries.get('alpha')).toBeUndefined();
    expect(byEntries.get('delta')).toBe(5);
    const byChars = new TextKeyedCache<number>(100, 1_500);
    byChars.set(long(1), 1);
    byChars.set(long(2), 2); // 2,002 characters would exceed 1,500
    expect(byChars.get(long(1))).toBeUndefined();
    expect(byChars.get(long(2))).toBe(2);
  });
});
