import { describe, expect, it } from 'vitest';
import { isoTime } from '../../engine/iso-time.js';

describe('isoTime', () => {
  it('equals toISOString across days, years, signs and odd inputs', () => {
    const base = Date.UTC(2024, 5, 3);
    const samples: number[] = [0, -1, 1, 86_399_999, 86_400_000, -86_400_000, -86_400_001, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(-1, 0, 1), 1.5, -0.5, 8.64e15, -8.64e15];
    for (let i = 0; i < 50_000; i++) samples.push(base - 3e9 + i * 31_337);
    for (let i = 0; i < 2_000; i++) samples.push(base + ((i * 2_654_435_761) % 4e11) - 2e11);
    for (const ms of samples) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws the same RangeError as toISOString for an invalid time', () => {
    for (const ms of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1]) {
      expect(() => isoTime(ms)).toThrow(RangeError);
      expect(() => new Date(ms).toISOString()).toThrow(RangeError);
    }
  });
});
