import { describe, expect, it } from 'vitest';
import { errorForFailure, errorForStatus, kindForStatus, parseRetryAfter } from '../../adapters/http-errors.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const h = (init: Record<string, string>) => new Headers(init);

  it('reads delta-seconds, HTTP dates and retry-after-ms', () => {
    expect(parseRetryAfter(h({ 'retry-after': '3' }), now)).toBe(3_000);
    expect(parseRetryAfter(h({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfter(h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }), now)).toBe(7_000);
    expect(parseRetryAfter(h({ 'retry-after': '3', 'retry-after-ms': '1250' }), now)).toBe(1_250);
  });

  it('gives 0 for a past date and undefined for nothing usable', () => {
    expect(parseRetryAfter(h({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(h({}), now)).toBeUndefined();
    expect(parseRetryAfter(h({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(h({ 'retry-after': '-5' }), now)).toBeUndefined();
  });
});

describe('status and failure mapping', () => {
  it('maps statuses to kinds', () => {
    expect([429, 500, 503, 529, 400, 401, 404].map(kindForStatus)).toEqual([
      'rate_limited',
      'server_error',
      'server_error',
      'server_error',
      'client_error',
      'client_error',
      'client_error',
    ]);
  });

  it('keeps a vendor error type only when it looks like an identifier', () => {
    expect(errorForStatus('m', 503, new Headers(), 'overloaded_error').message).toContain('(overloaded_error)');
    expect(errorForStatus('m', 503, new Headers(), 'key sk-123 is invalid').message).not.toContain('sk-123');
  });

  it('maps a failure to timeout when the signal aborted, else network with the system code', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    expect(errorForFailure('m', refused, new AbortController().signal)).toMatchObject({ kind: 'network', message: expect.stringContaining('ECONNREFUSED') });
    expect(errorForFailure('m', new Error('aborted'), AbortSignal.abort())).toMatchObject({ kind: 'timeout' });
  });
});
