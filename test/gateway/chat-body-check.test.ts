import { describe, expect, it } from 'vitest';
import { chatBodyFastOk } from '../../gateway/chat-body-check.js';
import { chatBodySchema, chunkEvent, deltaEvents, PASSTHROUGH_FIELDS, toTollgateRequest } from '../../gateway/openai-shapes.js';

/**
 * The gateway's fast body check (gateway/chat-body-check.ts) never accepts what the body schema refuses, and
 * a body it accepts becomes the same engine request as zod's output of it: on valid bodies and on many
 * mutations of them (every field set to odd values, removed, unknown and refused fields added).
 */
const base = (): Record<string, unknown> => ({
  model: 'auto',
  messages: [{ role: 'user', content: 'hi' }],
  stream: false,
  max_tokens: 16,
  max_completion_tokens: 32,
  temperature: 0.5,
  top_p: 1,
  stop: ['\n\n', 'END'],
  seed: 7,
  n: 1,
  user: 'u-1',
  metadata: { team: 'a' },
  parallel_tool_calls: true,
  tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
  tool_choice: 'auto',
  response_format: { type: 'text' },
  reasoning_effort: 'low',
  service_tier: 'auto',
  logprobs: true,
});

const weird: unknown[] = [undefined, null, 0, -1, 1, 1.5, 2, 2.5, 3, NaN, Infinity, 2 ** 60, '', 'x', 'x'.repeat(201), true, false, [], ['a'], [''], ['a', 'b', 'c', 'd', 'e'], {}, { a: 1 }, { a: 'b' }, { include_usage: true }, { include_usage: null }, { include_usage: true, extra: 1 }, Object.create({ a: 'b' })];

function mutations(): unknown[] {
  const out: unknown[] = [base(), { model: 'm', messages: [{}] }, { model: 'm', messages: [1], stream: true, stream_options: { include_usage: true } }, null, [], 'x', 7];
  const keys = [...Object.keys(base()), 'stream_options', ...PASSTHROUGH_FIELDS, 'functions', 'function_call', 'unknown', 'constructor', 'toString', '__proto__'];
  for (const k of keys) {
    for (const v of weird) {
      out.push({ ...base(), [k]: v });
      out.push({ ...base(), stream: true, [k]: v });
    }
    const without = base();
    delete without[k];
    out.push(without);
  }
  out.push({ ...base(), stream: true, n: 2 }, { ...base(), stream: false, stream_options: {} }, { ...base(), stream: true, stream_options: {} });
  out.push(JSON.parse('{"model":"m","messages":[1],"__proto__":{"x":1}}'));
  return out;
}

describe('chatBodyFastOk', () => {
  it('accepts only what zod accepts, and the engine request is the same as from zod', () => {
    let accepted = 0;
    for (const body of mutations()) {
      const zod = chatBodySchema.safeParse(body);
      if (!chatBodyFastOk(body)) continue;
      accepted++;
      expect(zod.success, JSON.stringify(body)).toBe(true);
      if (!zod.success) continue;
      expect(toTollgateRequest(body, 't', 'id-1', ['x'])).toEqual(toTollgateRequest(zod.data, 't', 'id-1', ['x']));
      expect(!!body.stream_options?.include_usage).toBe(!!zod.data.stream_options?.include_usage);
    }
    expect(accepted).toBeGreaterThan(100); // the fast path is taken for ordinary bodies
  });
});

describe('deltaEvents', () => {
  it('renders the same bytes as chunkEvent for every kind of delta', () => {
    const deltas = [{ role: 'assistant' as const, content: '' }, { content: 'Hé "quoted" \n 😀 \u2028' }, { content: 'x', tool_calls: [{ index: 0, id: 'c1', type: 'function' as const, function: { name: 'f', arguments: '{"a":1}' } }] }, {}];
    for (const [id, model] of [['chatcmpl-abc', 'gpt-4o-mini'], ['chatcmpl-"odd"\\id', 'mödel/x']]) {
      const render = deltaEvents(id!, 1700000000, model!);
      for (const d of deltas) expect(render(d)).toBe(chunkEvent(id!, 1700000000, model!, d, null));
    }
  });
});
