import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../engine/redact.js';

describe('redactSecrets', () => {
  it('redacts bearer tokens, sk-/pk-/rk-/tg- keys and api-key fields, whatever the case of the names', () => {
    expect(redactSecrets('Authorization: Bearer abcdefgh12345678')).toBe('Authorization: [redacted] [redacted]');
    expect(redactSecrets('header BEARER   abcdefgh12345678 end')).toBe('header BEARER [redacted] end');
    expect(redactSecrets('key sk-abcdefgh1234 and tg-zzzzzzzz_9')).toBe('key sk-[redacted] and tg-[redacted]');
    expect(redactSecrets('{"x-api-key": "s3cr3t", "API_KEY"=abc}')).toBe('{"x-api-key": "[redacted]", "API_KEY"=[redacted]}');
    expect(redactSecrets('authorization=xyz')).toBe('authorization=[redacted]');
  });

  it('returns text without any credential-like name unchanged (the usual refusal message)', () => {
    const m = 'Budget exhausted for tenant "marketing", month micros limit 25000000 µ$: needs 1234, 56 remaining';
    expect(redactSecrets(m)).toBe(m);
    expect(redactSecrets('SK-abcdefgh1234 is upper case: not a key pattern')).toBe('SK-abcdefgh1234 is upper case: not a key pattern');
    expect(redactSecrets('sk-short')).toBe('sk-short');
  });
});
