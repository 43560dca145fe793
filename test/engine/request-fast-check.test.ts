import { describe, expect, it } from 'vitest';
import { fastValidRequest } from '../../engine/request-fast-check.js';
import { requestSchema, validateRequest } from '../../engine/request.js';

/**
 * The fast check (engine/request-fast-check.ts) answers exactly as zod does or not at all: on valid requests and
 * on many mutations, whenever it returns a value zod accepts the input with the same output (same keys in the
 * same order); whatever zod refuses it refuses.
 */
const base = () => ({
  id: 'req-1',
  idempotencyKey: 'k-1',
  tenant: 'acme',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Summarise the notes.', name: 'ann' },
    { role: 'assistant', content: 'Sure.' },
    { role: 'developer', content: '' },
  ],
  maxOutputTokens: 64,
  temperature: 0.2,
  topP: 1,
  seed: 7,
  tags: ['team-a', 'x'],
  model: 'auto',
  metadata: { a: 'b' },
});

const weird: unknown[] = [undefined, null, 0, -1, 1.5, 2.5, NaN, Infinity, 2 ** 60, '', 'x', 'x'.repeat(201), true, false, [], ['a'], [''], {}, { a: 1 }, Object.create({ tenant: 'p' })];

function mutations(): unknown[] {
  const out: unknown[] = [base(), { tenant: 't', messages: [{ role: 'user', content: 'hi' }] }];
  const keys = [...Object.keys(base()), 'stop', 'tools', 'task', 'passthrough', '__proto__', 'constructor', 'unknown'];
  for (const k of keys) {
    for (const v of weird) out.push({ ...base(), [k]: v });
    const without = base() as Record<string, unknown>;
    delete without[k];
    out.push(without);
  }
  for (const mk of ['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'refusal', 'extra']) {
    for (const v of [...weird, 'user', 'tool', 'assistant', 'nobody', [{ type: 'text', text: 'hi' }]]) {
      const b = base();
      (b.messages[1] as Record<string, unknown>)[mk] = v;
      out.push(b);
    }
  }
  const protoKey = base() as Record<string, unknown>;
  Object.defineProperty(protoKey.metadata, '__proto__', { value: 'x', enumerable: true });
  out.push(protoKey, { ...base(), messages: [] }, { ...base(), messages: [null] }, { ...base(), tags: Array(33).fill('t') }, { ...base(), tags: new Array(2) });
  out.push(Object.assign(Object.create(null), base()), [base()], 'request', null);
  return out;
}

describe('fastValidRequest', () => {
  it('accepts plain chat requests with exactly zod’s output', () => {
    const f = fastValidRequest(base());
    expect(f).toBeDefined();
    const z = requestSchema.parse(base());
    expect(JSON.stringify(f)).toBe(JSON.stringify(z));
    expect(f).toEqual(z);
    expect(validateRequest(base())).toEqual(z);
  });

  it('never accepts what zod refuses, and agrees with zod on everything it accepts', () => {
    let accepted = 0;
    for (const input of mutations()) {
      const f = fastValidRequest(input);
      const z = requestSchema.safeParse(input);
      if (f === undefined) continue;
      accepted++;
      expect(z.success, JSON.stringify(input)).toBe(true);
      expect(JSON.stringify(f)).toBe(JSON.stringify(z.data));
      expect(f).toEqual(z.data);
    }
    expect(accepted).toBeGreaterThan(20); // the fast path really runs
  });

  it('returns fresh objects (the caller may not share state with the input)', () => {
    const input = base();
    const f = fastValidRequest(input)!;
    expect(f).not.toBe(input);
    expect(f.messages).not.toBe(input.messages);
    expect(f.messages[0]).not.toBe(input.messages[0]);
    expect(f.tags).not.toBe(input.tags);
    expect(f.metadata).not.toBe(input.metadata);
  });
});
