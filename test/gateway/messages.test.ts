import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeAnswerText } from '../support/fake-vendor-server.js';
import { pngDataUrl } from '../support/fake-vendor-images.js';
import { type Harness, startHarness } from './harness.js';

/**
 * `POST /v1/messages` with the official `@anthropic-ai/sdk` client (#15 item 3): answered by an Anthropic
 * model and, cross-protocol, by an OpenAI-compatible one; the fake vendors show what they received.
 */

const weather: Anthropic.Tool = { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const time: Anthropic.Tool = { name: 'get_time', input_schema: { type: 'object', properties: {} } };
const ask = 'Weather and time in Lima?';

let h: Harness;
let client: Anthropic;
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
  client = new Anthropic({ baseURL: h.gw.url, apiKey: h.key, maxRetries: 0 });
});
afterAll(() => h.close());

const last = () => h.vendor.requests.at(-1)!;
const body = () => last().body as Record<string, any>;

describe('/v1/messages with the official Anthropic client', () => {
  it('answers a plain message with Anthropic shapes and Tollgate headers', async () => {
    const { data, response } = await client.messages.create({ model: 'claude', max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello there' }], metadata: { user_id: 'u-7' } }).withResponse();
    expect(data.type).toBe('message');
    expect(data.content).toEqual([{ type: 'text', text: fakeAnswerText('Hello there') }]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.model).toBe('claude');
    expect(body()).toMatchObject({ system: 'Be brief.', metadata: { user_id: 'u-7' }, messages: [{ role: 'user', content: 'Hello there' }] });
    const record = h.sink!.records.find((r) => r.requestId === response.headers.get('x-tollgate-request-id'))!;
    expect(data.usage.output_tokens).toBe(record.tokens.output);
    expect(data.usage.input_tokens + (data.usage.cache_read_input_tokens ?? 0) + (data.usage.cache_creation_input_tokens ?? 0)).toBe(record.tokens.input);
    expect(Number(response.headers.get('x-tollgate-cost-micros'))).toBe(record.cost.full);
  });

  it('tools on an Anthropic model: tool_use comes back, and a tool_result round trip keeps the ids', async () => {
    const first = await client.messages.create({ model: 'claude', max_tokens: 200, messages: [{ role: 'user', content: ask }], tools: [weather, time], tool_choice: { type: 'any' } });
    expect(body().tools).toEqual([weather, time]);
    expect(body().tool_choice).toEqual({ type: 'any' });
    expect(first.stop_reason).toBe('tool_use');
    const uses = first.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(uses.map((u) => [u.id, u.name, (u.input as { n: number }).n])).toEqual([['toolu_fake_0', 'get_weather', 0], ['toolu_fake_1', 'get_time', 1]]);
    const second = await client.messages.create({
      model: 'claude',
      max_tokens: 200,
      tools: [weather, time],
      messages: [
        { role: 'user', content: ask },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake_0', content: '22C' }, { type: 'tool_result', tool_use_id: 'toolu_fake_1', content: '10:00' }] },
      ],
    });
    expect(body().messages[1]).toEqual({ role: 'assistant', content: uses.map((u) => ({ type: 'tool_use', id: u.id, name: u.name, input: u.input })) });
    expect(body().messages[2]).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake_0', content: '22C' }, { type: 'tool_result', tool_use_id: 'toolu_fake_1', content: '10:00' }] });
    expect(second.stop_reason).toBe('end_turn');
  });

  it('streams with Anthropic event names: text and tool_use with input_json_delta, assembled by the SDK', async () => {
    const events: string[] = [];
    const stream = client.messages.stream({ model: 'claude', max_tokens: 200, messages: [{ role: 'user', content: ask }], tools: [weather, time] });
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(body().stream).toBe(true);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content.map((b) => (b.type === 'tool_use' ? [b.id, b.name, (b.input as { n: number }).n] : b.type))).toEqual([['toolu_fake_0', 'get_weather', 0], ['toolu_fake_1', 'get_time', 1]]);
    expect(events[0]).toBe('message_start');
    expect(events).toContain('content_block_delta');
    expect(events.slice(-2)).toEqual(['message_delta', 'message_stop']);
    const text = client.messages.stream({ model: 'claude', max_tokens: 200, messages: [{ role: 'user', content: 'Stream me' }] });
    let got = '';
    text.on('text', (t) => (got += t));
    const done = await text.finalMessage();
    expect(got).toBe(fakeAnswerText('Stream me'));
    expect(done.usage.output_tokens).toBeGreaterThan(0);
  });

  it('cross-protocol: a Messages request answered by an OpenAI-compatible model, tools and images included', async () => {
    const png = pngDataUrl(40, 20);
    const r = await client.messages.create({
      model: 'gpt',
      max_tokens: 100,
      system: [{ type: 'text', text: 'You see images.' }],
      metadata: { user_id: 'u-9' },
      tools: [weather],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Where is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png.split(',')[1]! } }] }],
    });
    expect(last().path).toBe('/v1/chat/completions');
    expect(body()).toMatchObject({
      user: 'u-9',
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: weather.input_schema } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      messages: [
        { role: 'system', content: 'You see images.' },
        { role: 'user', content: [{ type: 'text', text: 'Where is this?' }, { type: 'image_url', image_url: { url: png } }] },
      ],
    });
    expect(r.stop_reason).toBe('tool_use');
    const use = r.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(use).toMatchObject({ id: 'call_fake_0', name: 'get_weather' });
    const back = await client.messages.create({
      model: 'gpt',
      max_tokens: 100,
      tools: [weather],
      messages: [
        { role: 'user', content: 'Where is this?' },
        { role: 'assistant', content: r.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }, { type: 'text', text: 'And now?' }] },
      ],
    });
    expect(body().messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_fake_0', type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(use.input) } }] },
      { role: 'tool', tool_call_id: 'call_fake_0', content: 'sunny' },
      { role: 'user', content: 'And now?' },
    ]);
    expect(back.stop_reason).toBe('tool_use'); // the fake calls again: the turn ends with the user's text
    const streamed = await client.messages.stream({ model: 'gpt', max_tokens: 100, tools: [weather], messages: [{ role: 'user', content: 'Weather?' }] }).finalMessage();
    expect(streamed.content).toEqual([{ type: 'tool_use', id: 'call_fake_0', name: 'get_weather', input: expect.objectContaining({ n: 0 }) }]);
  });

  it('errors are Anthropic-shaped: refused fields name the path, a bad key is an AuthenticationError', async () => {
    const before = h.vendor.requests.length;
    const refused = client.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }] });
    await expect(refused).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    const raw = await fetch(`${h.gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': h.key }, body: JSON.stringify({ model: 'claude', max_tokens: 10, top_k: 5, messages: [{ role: 'user', content: 'x' }] }) });
    expect(raw.status).toBe(400);
    const json = (await raw.json()) as { type: string; error: { type: string; message: string } };
    expect(json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(json.error.message).toContain('top_k');
    const bad = new Anthropic({ baseURL: h.gw.url, apiKey: 'tg-not-a-key', maxRetries: 0 });
    await expect(bad.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    expect(h.vendor.requests.length).toBe(before);
  });
});
