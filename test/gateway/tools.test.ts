import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpPolicy } from '../support/policies.js';
import { type Harness, post, startHarness } from './harness.js';

/** Tools, tool-result round trips, structured outputs and passthrough fields with the official openai client (#15). */

const weather: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather in a given location',
    parameters: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['location'] },
  },
};
const time: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
};
const ask = 'Weather and time in Paris?';

let h: Harness;
beforeAll(async () => {
  const upstream = { primary: 'ok', backup: 'ok' };
  // 'ok' is no reasoning model by name: declare what the fake's models can do.
  h = await startHarness(upstream, { policy: (url) => ({ models: httpPolicy(url, upstream).models.map((m) => ({ ...m, capabilities: ['tools', 'vision', 'jsonSchema', 'reasoning'] as const })) }) });
});
afterAll(() => h.close());

const last = () => h.vendor.requests.at(-1)!.body as Record<string, any>;

describe('tools through the gateway (official openai client)', () => {
  it('non-streaming: tools, tool_choice and parallel_tool_calls reach the vendor; parallel tool calls come back', async () => {
    const r = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: ask }], tools: [weather, time], tool_choice: 'auto', parallel_tool_calls: true });
    expect(last().tools).toEqual([weather, time]);
    expect(last().tool_choice).toBe('auto');
    expect(last().parallel_tool_calls).toBe(true);
    const m = r.choices[0]!.message;
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    expect(m.content).toBeNull();
    expect(m.tool_calls!.map((c) => c.type === 'function' && c.function.name)).toEqual(['get_weather', 'get_time']);
    expect(m.tool_calls!.map((c) => c.id)).toEqual(['call_fake_0', 'call_fake_1']);
    const args = m.tool_calls!.map((c) => (c.type === 'function' ? JSON.parse(c.function.arguments) : null));
    expect(args[1]).toMatchObject({ n: 1 });
  });

  it('a tool-result round trip: the vendor receives assistant tool_calls and tool messages intact', async () => {
    const first = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: ask }], tools: [weather, time] });
    const assistant = first.choices[0]!.message;
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: ask },
      assistant,
      ...assistant.tool_calls!.map((c) => ({ role: 'tool' as const, tool_call_id: c.id, content: c.id === 'call_fake_0' ? '18C sunny' : '14:05' })),
    ];
    const second = await h.client.chat.completions.create({ model: 'auto', messages, tools: [weather, time] });
    const sent = last().messages;
    expect(sent[2]).toEqual({ role: 'assistant', content: null, refusal: null, tool_calls: assistant.tool_calls });
    expect(sent[3]).toEqual({ role: 'tool', tool_call_id: 'call_fake_0', content: '18C sunny' });
    expect(sent[4]).toEqual({ role: 'tool', tool_call_id: 'call_fake_1', content: '14:05' });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toContain('Fake answer');
    const record = h.sink!.records.at(-1)!;
    expect(record.outcome).toBe('ok');
  });

  it('streaming: tool-call deltas arrive in pieces and add up to the calls', async () => {
    const stream = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: ask }], tools: [weather, time], stream: true, stream_options: { include_usage: true } });
    const calls: { id?: string; name?: string; arguments: string }[] = [];
    let pieces = 0;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        pieces++;
        const c = (calls[d.index] ??= { arguments: '' });
        if (d.id) c.id = d.id;
        if (d.function?.name) c.name = d.function.name;
        c.arguments += d.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(finish).toBe('tool_calls');
    expect(calls.map((c) => [c.id, c.name])).toEqual([['call_fake_0', 'get_weather'], ['call_fake_1', 'get_time']]);
    expect(calls.map((c) => JSON.parse(c.arguments).n)).toEqual([0, 1]);
    expect(pieces).toBeGreaterThan(4);
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    expect(last().stream).toBe(true);
  });

  it('json_schema (strict) and json_object response formats reach the vendor unchanged', async () => {
    const response_format = {
      type: 'json_schema' as const,
      json_schema: { name: 'city', strict: true, schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } },
    };
    await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'A city?' }], response_format });
    expect(last().response_format).toEqual(response_format);
    await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'A city as JSON?' }], response_format: { type: 'json_object' }, reasoning_effort: 'low', service_tier: 'flex' });
    expect(last()).toMatchObject({ response_format: { type: 'json_object' }, reasoning_effort: 'low', service_tier: 'flex' });
  });

  it("a long conversation's messages and tools reach the vendor as the client wrote them, not serialised again", async () => {
    const messages: unknown[] = [{ role: 'user', content: ask }];
    for (let i = 0; i < 12; i++) {
      messages.push({ role: 'assistant', content: null, tool_calls: [{ type: 'function', id: `call_${i}`, function: { name: 'get_weather', arguments: `{"location":"Paris ${i}"}` } }] });
      messages.push({ content: `{"temp": ${i}, "note": "caf\u00e9 \"sunny\""}`, tool_call_id: `call_${i}`, role: 'tool' }); // key order of the client's own
    }
    const messagesText = JSON.stringify(messages, null, 2);
    const toolsText = JSON.stringify([weather, time], null, 1);
    const text = `{\n "model": "auto",\n "messages": ${messagesText},\n "tools": ${toolsText},\n "max_tokens": 20\n}`;
    expect(text.length).toBeGreaterThan(2048); // bodies from 2 KB on keep their arrays' texts (gateway/json-body.ts)
    const r = await post(h, text);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const sent = h.vendor.requests.at(-1)!;
    expect(sent.rawBody).toContain(`"messages":${messagesText}`);
    expect(sent.rawBody).toContain(`"tools":${toolsText}`);
    expect(sent.body).toMatchObject({ model: 'ok', max_tokens: 20, messages, tools: [weather, time] });
    // A body whose arrays are not kept (short; or mapped, as null annotations are dropped) is serialised as before.
    await post(h, { model: 'auto', messages: [{ role: 'user', content: ask }, { role: 'assistant', content: 'x', annotations: null }, { role: 'user', content: 'y'.repeat(3000) }] });
    expect(last().messages).toEqual([{ role: 'user', content: ask }, { role: 'assistant', content: 'x' }, { role: 'user', content: 'y'.repeat(3000) }]);
  });

  it('unmodelled Chat Completions fields are passed through unchanged; unknown ones are refused naming them', async () => {
    await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Hi' }], logprobs: true, top_logprobs: 2, logit_bias: { '50256': -100 }, presence_penalty: 0.5 });
    expect(last()).toMatchObject({ logprobs: true, top_logprobs: 2, logit_bias: { '50256': -100 }, presence_penalty: 0.5 });
    const before = h.vendor.requests.length;
    const r = await post(h, { model: 'auto', messages: [{ role: 'user', content: 'Hi' }], frobnicate: 1 });
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('frobnicate');
    const f = await post(h, { model: 'auto', messages: [{ role: 'user', content: 'Hi' }], functions: [{ name: 'x' }] });
    expect(f.json.error.param).toBe('functions');
    expect(h.vendor.requests.length).toBe(before);
  });

  it('bad input is a 400 naming the field path, before any model is called', async () => {
    const before = h.vendor.requests.length;
    const cases: [unknown, string][] = [
      [{ model: 'auto', messages: [{ role: 'user', content: ask }, { role: 'tool', tool_call_id: 'call_nope', content: 'x' }] }, 'messages[1].tool_call_id'],
      [{ model: 'auto', messages: [{ role: 'user', content: ask }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'strng' } } } } }] }, 'tools[0].function.parameters.properties.a.type'],
      [{ model: 'auto', messages: [{ role: 'user', content: ask }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] }, 'tools[0].function.parameters.type'],
      [{ model: 'auto', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }] }] }, 'messages[0].content[0].type'],
      [{ model: 'auto', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,aGVsbG8gd29ybGQ=' } }] }] }, 'messages[0].content[0].image_url.url'],
      [{ model: 'auto', messages: [{ role: 'user', content: ask }], tool_choice: { type: 'function', function: { name: 'nope' } }, tools: [weather] }, 'tool_choice.function.name'],
      [{ model: 'auto', messages: [{ role: 'user', content: ask }], response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', required: 'a' } } } }, 'response_format.json_schema.schema.required'],
      [{ model: 'auto', messages: [{ role: 'user', content: ask }], n: 2, stream: true }, 'n'],
    ];
    for (const [body, param] of cases) {
      const r = await post(h, body);
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json.error.param, JSON.stringify(r.json)).toBe(param);
    }
    expect(h.vendor.requests.length).toBe(before);
  });
});

describe('library', () => {
  it('stream() with n > 1 is a ValidationError naming n (every choice could not be streamed), before any call', async () => {
    const before = h.vendor.requests.length;
    const it = h.tollgate.stream({ tenant: 'acme', messages: [{ role: 'user', content: 'x' }], n: 2 });
    await expect(it.next()).rejects.toMatchObject({ code: 'invalid_request', issues: [{ path: 'n' }] });
    expect(h.vendor.requests.length).toBe(before);
  });

  it('complete() with n = 2 sends n to the OpenAI-compatible model (the fake answers one choice)', async () => {
    const r = await h.tollgate.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Two please' }], n: 2 });
    expect((h.vendor.requests.at(-1)!.body as { n?: number }).n).toBe(2);
    expect(r.finishReason).toBe('stop');
    expect(r.text).toContain('Fake answer');
  });
});
