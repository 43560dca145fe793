import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngDataUrl } from '../support/fake-vendor-images.js';
import { type Harness, post, startHarness, UPSTREAM_KEY } from './harness.js';

/**
 * Cross-protocol (#15 items 2, 7): Chat Completions clients (official openai client) answered by an
 * Anthropic model through the gateway; the fake Anthropic vendor shows what it received.
 */

const weather: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const time: OpenAI.Chat.Completions.ChatCompletionTool = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } };
const ask = 'Weather and time in Oslo?';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ claude: 'ok' }, {
    policy: (url) => ({
      models: [
        { id: 'claude', tier: 'vendor', adapter: 'anthropic', endpoint: url, apiKeyEnv: 'TOLLGATE_TEST_KEY', encoding: 'estimate', contextWindow: 200000, prices: { inputPerM: 3, outputPerM: 15 }, quality: 0.95 },
        { id: 'gpt', tier: 'vendor', adapter: 'openai-compatible', endpoint: `${url}/v1`, apiKeyEnv: 'TOLLGATE_TEST_KEY', contextWindow: 128000, prices: { inputPerM: 5, outputPerM: 20 }, quality: 0.9 },
      ],
      rules: [{ name: 'default', models: ['claude', 'gpt'], qualityFloor: 0 }],
      fallbacks: {},
    }),
  });
});
afterAll(() => h.close());

const last = () => h.vendor.requests.at(-1)!;

describe('Chat Completions → Anthropic model', () => {
  it('tools, tool_choice and system go out as Anthropic tools; tool_use comes back as OpenAI tool calls', async () => {
    const r = await h.client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: 'Use tools.' }, { role: 'user', content: ask }],
      tools: [weather, time],
      tool_choice: 'required',
      parallel_tool_calls: true,
      user: 'u-42',
    });
    expect(last().path).toBe('/v1/messages');
    expect(last().headers['x-api-key']).toBe(UPSTREAM_KEY);
    const body = last().body as Record<string, any>;
    expect(body.system).toBe('Be brief.\n\nUse tools.');
    expect(body.tools).toEqual([
      { name: 'get_weather', description: 'Weather for a city', input_schema: weather.function.parameters },
      { name: 'get_time', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'any' });
    expect(body.metadata).toEqual({ user_id: 'u-42' });
    expect(body.messages).toEqual([{ role: 'user', content: ask }]);
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    const calls = r.choices[0]!.message.tool_calls!;
    expect(calls.map((c) => c.id)).toEqual(['toolu_fake_0', 'toolu_fake_1']);
    expect(calls.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments).n] : null))).toEqual([['get_weather', 0], ['get_time', 1]]);
  });

  it('a tool-result round trip: tool_use blocks and one user turn of tool_result blocks, ids intact', async () => {
    const first = await h.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: ask }], tools: [weather, time] });
    const assistant = first.choices[0]!.message;
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'user', content: ask },
      assistant,
      { role: 'tool', tool_call_id: 'toolu_fake_0', content: '3C snow' },
      { role: 'tool', tool_call_id: 'toolu_fake_1', content: [{ type: 'text', text: '09:12' }] },
    ];
    const second = await h.client.chat.completions.create({ model: 'claude', messages, tools: [weather, time], parallel_tool_calls: false });
    const body = last().body as Record<string, any>;
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: assistant.tool_calls!.map((c) => (c.type === 'function' ? { type: 'tool_use', id: c.id, name: c.function.name, input: JSON.parse(c.function.arguments) } : null)),
    });
    expect(body.messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_fake_0', content: '3C snow' },
        { type: 'tool_result', tool_use_id: 'toolu_fake_1', content: '09:12' },
      ],
    });
    expect(body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toContain('Fake answer');
  });

  it('streams input_json_delta back as OpenAI tool-call deltas', async () => {
    const stream = await h.client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: ask }], tools: [weather, time], stream: true });
    const calls: { id?: string; name?: string; arguments: string }[] = [];
    let pieces = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        pieces++;
        const c = (calls[d.index] ??= { arguments: '' });
        if (d.id) c.id = d.id;
        if (d.function?.name) c.name = d.function.name;
        c.arguments += d.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect((last().body as Record<string, unknown>).stream).toBe(true);
    expect(finish).toBe('tool_calls');
    expect(calls.map((c) => [c.id, c.name, JSON.parse(c.arguments).n])).toEqual([['toolu_fake_0', 'get_weather', 0], ['toolu_fake_1', 'get_time', 1]]);
    expect(pieces).toBeGreaterThan(4);
  });

  it('images become image blocks (base64 from a data URL, url source for a URL); json_schema becomes output_config.format', async () => {
    const data = pngDataUrl(64, 32);
    await h.client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Compare' }, { type: 'image_url', image_url: { url: data, detail: 'low' } }, { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } }] }],
      response_format: { type: 'json_schema', json_schema: { name: 'cmp', schema: { type: 'object', properties: { same: { type: 'boolean' } }, required: ['same'], additionalProperties: false } } },
    });
    const body = last().body as Record<string, any>;
    expect(body.messages[0].content).toEqual([
      { type: 'text', text: 'Compare' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: data.slice('data:image/png;base64,'.length) } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
    ]);
    expect(body.output_config).toEqual({ format: { type: 'json_schema', schema: { type: 'object', properties: { same: { type: 'boolean' } }, required: ['same'], additionalProperties: false } } });
  });

  it('n above what Anthropic supports: a pinned Claude is a 400 naming n; routed, Claude is skipped with the reason', async () => {
    const before = h.vendor.requests.length;
    const r = await post(h, { model: 'claude', messages: [{ role: 'user', content: 'Two ideas' }], n: 2 });
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('n');
    expect(h.vendor.requests.length).toBe(before);
    const routed = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Two ideas' }], n: 2 }).withResponse();
    expect(routed.data.model).toBe('gpt');
    expect(last().path).toBe('/v1/chat/completions');
    expect((last().body as Record<string, unknown>).n).toBe(2);
    const record = h.sink!.records.find((x) => x.requestId === routed.response.headers.get('x-tollgate-request-id'))!;
    expect(record.candidates.find((c) => c.model === 'claude')).toMatchObject({ eligible: false, reason: 'n 2 > maxN 1' });
  });

  it('passthrough fields are never sent to Anthropic: such a request goes to the OpenAI-compatible model', async () => {
    const r = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Hi' }], logprobs: true }).withResponse();
    expect(r.data.model).toBe('gpt');
    expect((last().body as Record<string, unknown>).logprobs).toBe(true);
    const pinned = await post(h, { model: 'claude', messages: [{ role: 'user', content: 'Hi' }], logprobs: true });
    expect(pinned.status).toBe(400);
    expect(pinned.json.error.param).toBe('passthrough.logprobs');
  });
});
