import { describe, expect, it } from 'vitest';
import { fastValidRequest } from '../../engine/request-fast-check.js';
import { quickValidRequest, requestSchema, validateRequest } from '../../engine/request.js';
import { agentMessages, agentTools } from '../../bench/agent-request.js';
import { jsonTextOf, rememberJsonText } from '../../engine/tools-json.js';

/**
 * The fast check (engine/request-fast-check.ts, with the conversation rules: quickValidRequest) answers exactly
 * as zod does or not at all: on valid plain-chat and agent requests and on many mutations of both, whenever it
 * returns a value zod accepts the input with the same output (same keys in the same order); whatever zod
 * refuses it refuses.
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

/** An agent request: tools, tool calls and results, content parts, a response format and every option the fast check covers. */
const agent = () => ({
  id: 'req-2',
  tenant: 'acme',
  messages: [
    ...(agentMessages(3) as Record<string, unknown>[]).slice(0, 5),
    { role: 'user', content: [{ type: 'text', text: 'And this one?' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } }] },
    { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
    { role: 'assistant', content: 'ok', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'tool_1_customer', arguments: '{}' } }, { id: 'c2', type: 'function', function: { name: 'tool_2_region', arguments: '{"a":1}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: '18C sunny' }] },
    { role: 'tool', tool_call_id: 'c2', content: 'none' },
  ],
  maxOutputTokens: 64,
  stop: ['\n\n', 'END'],
  tools: [...(agentTools() as Record<string, unknown>[]).slice(0, 3), { type: 'function', function: { name: 'no_params' } }, { type: 'function', function: { name: 'strict_one', parameters: { type: 'object', properties: {} }, strict: true } }],
  toolChoice: { type: 'function', function: { name: 'no_params' } },
  parallelToolCalls: false,
  responseFormat: { type: 'json_schema', json_schema: { name: 'answer', description: 'd', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: null } },
  reasoningEffort: 'low',
  serviceTier: 'flex',
  n: 2,
  passthrough: { logprobs: true, logit_bias: { '50256': -100 } },
  task: 'extraction',
  simulation: { promptTokens: 10, outputTokens: 3, labels: { a: 0.5 } },
});

/** Mutations of the agent request: each option, message field, part, call and tool replaced by odd values. */
function agentMutations(): unknown[] {
  const out: unknown[] = [agent(), { ...agent(), responseFormat: { type: 'text' } }, { ...agent(), responseFormat: { type: 'json_object' } }, { ...agent(), toolChoice: 'auto', stop: 'x' }];
  const more = [...weird, 'auto', 'none', 'required', 'text', 'low', 'flex', 'code', 129, 128, 0.5, { type: 'text' }, { type: 'function', function: { name: 'nope' } }];
  for (const k of ['stop', 'tools', 'toolChoice', 'parallelToolCalls', 'responseFormat', 'reasoningEffort', 'serviceTier', 'n', 'passthrough', 'task', 'simulation']) {
    for (const v of more) out.push({ ...agent(), [k]: v });
  }
  const at = (f: (a: ReturnType<typeof agent>) => void) => {
    const a = agent();
    f(a);
    out.push(a);
  };
  const msg = (i: number) => (a: ReturnType<typeof agent>) => a.messages[i] as Record<string, unknown>;
  for (const v of [...weird, 'x', [{ type: 'text' }], [{ type: 'text', text: 1 }], [{ type: 'image_url', image_url: { url: '' } }], [{ type: 'image_url', image_url: { url: 'u', detail: 'huge' } }], [{ type: 'audio' }], [{ type: 'text', text: 'a', extra: 1 }]]) {
    for (const i of [1, 2, 5, 6, 8]) at((a) => (msg(i)(a).content = v));
  }
  for (const k of ['tool_calls', 'tool_call_id', 'refusal', 'name']) for (const v of [...weird, 'call_3_0', 'c9']) for (const i of [2, 3, 6, 8]) at((a) => (msg(i)(a)[k] = v));
  for (const k of ['id', 'type', 'function', 'extra']) for (const v of [...weird, 'function', { name: 'f', arguments: '' }, { name: '', arguments: '' }, { name: 'f' }, { name: 'f', arguments: 1 }]) {
    at((a) => (((msg(7)(a).tool_calls as Record<string, unknown>[])[1] as Record<string, unknown>)[k] = v));
  }
  for (const k of ['type', 'function', 'extra']) for (const v of [...weird, 'function', { name: 'bad name' }, { name: 'a'.repeat(65) }, { name: 'ok', parameters: [] }, { name: 'ok', parameters: { type: 'string' } }, { name: 'ok', description: 1 }, { name: 'ok', strict: 'yes' }, { name: 'tool_0_invoice' }]) {
    at((a) => ((a.tools[1] as Record<string, unknown>)[k] = v));
  }
  at((a) => (a.tools = Array(129).fill(a.tools[3])));
  at((a) => ((a.tools[0] as { function: { parameters: Record<string, unknown> } }).function.parameters.properties = { x: { type: 'nope' } }));
  at((a) => (msg(0)(a).role = 'tool'));
  at((a) => (msg(8)(a).tool_call_id = 'unknown-id'));
  at((a) => ((msg(5)(a).content as unknown[]).push({ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } })));
  at((a) => (msg(2)(a).role = 'user'));
  // Symbol keys: zod ignores them and leaves them out of its output; so must the fast check.
  at((a) => Object.defineProperty(msg(3)(a), Symbol('s'), { value: 1, enumerable: true }));
  at((a) => Object.defineProperty(a, Symbol('s'), { value: 1, enumerable: true }));
  at((a) => Object.defineProperty((a.tools[0] as { function: Record<string, unknown> }).function, Symbol('s'), { value: 1, enumerable: true }));
  const poisoned = agent();
  Object.defineProperty((poisoned.tools[0] as { function: Record<string, unknown> }).function.parameters, '__proto__', { value: { x: 1 }, enumerable: true });
  out.push(poisoned);
  return out;
}

describe('quickValidRequest (fast field check + conversation rules)', () => {
  it('accepts the agent request with exactly zod’s output', () => {
    const q = quickValidRequest(agent());
    expect(q).toBeDefined();
    const z = requestSchema.parse(agent());
    expect(JSON.stringify(q)).toBe(JSON.stringify(z));
    expect(q).toEqual(z);
  });

  it('never accepts what zod refuses, and agrees with zod on everything it accepts', () => {
    let accepted = 0;
    let refused = 0;
    for (const input of [...mutations(), ...agentMutations()]) {
      const q = quickValidRequest(input);
      const z = requestSchema.safeParse(input);
      if (!z.success) refused++;
      if (q === undefined) continue;
      accepted++;
      expect(z.success, JSON.stringify(input)).toBe(true);
      expect(JSON.stringify(q)).toBe(JSON.stringify(z.data));
      expect(q).toEqual(z.data);
    }
    expect(accepted).toBeGreaterThan(100); // the fast path really runs on agent traffic
    expect(refused).toBeGreaterThan(1000);
  });

  it('copies tools, calls and parts (nothing shared with the input but the JSON schemas’ inner values, as zod does)', () => {
    const input = agent();
    const q = quickValidRequest(input)!;
    const z = requestSchema.parse(agent());
    expect(q.tools).not.toBe(input.tools);
    expect(q.tools![0]!.function).not.toBe((input.tools[0] as { function: unknown }).function);
    expect(q.tools![0]!.function.parameters).not.toBe((input.tools[0] as { function: { parameters: unknown } }).function.parameters);
    expect(q.messages[7]!.tool_calls![0]).not.toBe((input.messages[7] as { tool_calls: unknown[] }).tool_calls[0]);
    expect(q.messages[5]!.content).not.toBe(input.messages[5]!.content);
    expect(z.tools![0]!.function.parameters!.properties).toBe(z.tools![0]!.function.parameters!.properties); // (zod keeps inner values by reference too)
  });
});

describe('tools with a remembered JSON text (the gateway parsed them)', () => {
  it('are checked once per text: later requests get the same frozen checked copy, a bad text is refused each time', () => {
    const withText = () => {
      const a = agent();
      rememberJsonText(a.tools, JSON.stringify(a.tools));
      return a;
    };
    const first = quickValidRequest(withText())!;
    const second = quickValidRequest(withText())!;
    expect(second.tools).toBe(first.tools);
    expect(Object.isFrozen(first.tools![0]!.function.parameters)).toBe(true);
    expect(first.tools).toEqual(requestSchema.parse(agent()).tools);
    expect(jsonTextOf(first.tools!)).toBe(JSON.stringify(agent().tools));
    const bad = () => {
      const a = withText();
      (a.tools[0] as { function: { name: string } }).function.name = 'bad name';
      rememberJsonText(a.tools, JSON.stringify(a.tools));
      return a;
    };
    expect(quickValidRequest(bad())).toBeUndefined();
    expect(quickValidRequest(bad())).toBeUndefined();
    expect(requestSchema.safeParse(bad()).success).toBe(false);
  });
});

describe('fastValidRequest', () => {
  it('accepts plain chat requests with exactly zod’s output', () => {
    const f = fastValidRequest(base());
    expect(f).toBeDefined();
    const z = requestSchema.parse(base());
    expect(JSON.stringify(f)).toBe(JSON.stringify(z));
    expect(f).toEqual(z);
    expect(validateRequest(base())).toEqual(z);
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
