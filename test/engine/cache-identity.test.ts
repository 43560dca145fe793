import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cacheIdentity } from '../../engine/request-facts.js';
import { validateRequest } from '../../engine/request.js';

const base = { tenant: 't', messages: [{ role: 'user' as const, content: 'Name a prime.' }], temperature: 0.2 };

describe('cache identity', () => {
  it('top-p, stop sequences and seed are part of the scope: a cached answer is never served for other sampling', () => {
    const scopes = [base, { ...base, topP: 0.5 }, { ...base, stop: 'END' }, { ...base, stop: ['END', 'STOP'] }, { ...base, seed: 1 }].map((r) => cacheIdentity(validateRequest(r)).scope);
    expect(new Set(scopes).size).toBe(scopes.length);
    expect(cacheIdentity(validateRequest({ ...base, stop: 'END' })).scope).toBe(cacheIdentity(validateRequest({ ...base, stop: ['END'] })).scope);
  });

  it('a request without them keeps the scope it had before they existed', () => {
    const old = createHash('sha256').update(`\u0003\u00030.2`).digest('hex');
    expect(cacheIdentity(validateRequest(base)).scope).toBe(old);
  });
});
