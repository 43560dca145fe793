import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANTHROPIC_VERSION, AnthropicAdapter, CLAUDE_TOKEN_FACTOR } from '../../adapters/anthropic-adapter.js';
import type { ModelSpec } from '../../policies/schema.js';
import { fakeAnswerText, fakeCacheSplit, fakeTokenCount, startFakeVendor, type FakeVendor } from '../support/fake-vendor-server.js';
import { callInput, drain, expectProviderError, modelSpec } from '../support/model-call.js';

const KEY_ENV = 'TOLLGATE_TEST_ANTHROPIC_KEY';
const KEY = 'sk-ant-test-SECRET-41b2e8';
const PATH = '/v1/messages';
const QUESTION = 'What is the capital of France?';

let vendor: FakeVendor;
const adapter = new AnthropicAdapter();

/** A model whose upstream name selects the fake's behaviour. */
function model(behaviour: string, fields: Partial<ModelSpec> = {}): ModelSpec {
  return modelSpec({ adapter: 'anthropic', endpoint: vendor.url, apiKeyEnv: KEY_ENV, upstreamModel: behaviour, ...fields });
}

const fails = (behaviour: string, kind: Parameters<typeof expectProviderError>[1]) => ({
  call: () => expectProviderError(adapter.call(callInput(model(behaviour))), kind, [KEY]),
  stream: () => expectProviderError(drain(adapter.stream(callInput(model(behaviour)))), kind, [KEY]),
});

beforeAll(async () => {
  process.env[KEY_ENV] = KEY;
  vendor = await startFakeVendor();
});
afterAll(async () => {
  delete process.env[KEY_ENV];
  await vendor.close();
});

describe('AnthropicAdapter', () => {
  it('sends a Messages request with x-api-key, version header and a top-level system prompt', async () => {
    const before = vendor.count(PATH);
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'developer' as const, content: 'Answer in English.' },
      { role: 'user' as const, content: QUESTION },
    ];
    const res = await adapter.call(callInput(model('ok'), { messages, temperature: 0.5 }));
    expect(vendor.count(PATH)).toBe(before + 1);
    const sent = vendor.requests.at(-1)!;
    expect(sent.headers['x-api-key']).toBe(KEY);
    expect(sent.headers['anthropic-version']).toBe(ANTHROPIC_VERSION);
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'ok',
      max_tokens: 256,
      messages: [{ role: 'user', content: QUESTION }],
      system: 'Be brief.\n\nAnswer in English.',
      temperature: 0.5,
    });
    expect(res.text).toBe(fakeAnswerText(QUESTION));
    expect(res.finishReason).toBe('stop');
    expect(res.usageSource).toBe('vendor');
    expect(res.usage).toEqual({
      inputTokens: fakeTokenCount(`Be brief.\n\nAnswer in English.${QUESTION}`),
      outputTokens: fakeTokenCount(res.text),
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
    });
  });

  it('sends top_p and stop_sequences; the seed, which the Messages API lacks, is not sent', async () => {
    await adapter.call(callInput(model('ok'), { topP: 0.8, stop: ['END'], seed: 7 }));
    expect(vendor.requests.at(-1)!.body).toEqual({ model: 'ok', max_tokens: 256, messages: [{ role: 'user', content: QUESTION }], top_p: 0.8, stop_sequences: ['END'] });
  });

  it('tolerates an endpoint ending in /v1 or a slash', async () => {
    for (const endpoint of [`${vendor.url}/v1`, `${vendor.url}/v1/`, `${vendor.url}/`]) {
      const before = vendor.count(PATH);
      await adapter.call(callInput(model('ok', { endpoint })));
      expect(vendor.count(PATH)).toBe(before + 1);
    }
  });

  it('maps cache read and cache write tokens; inputTokens is the whole prompt', async () => {
    const messages = [{ role: 'user' as const, content: 'y'.repeat(4_000) }];
    const split = fakeCacheSplit(1_000);
    const expected = { inputTokens: 1_000, cachedInputTokens: split.read, cacheWriteTokens: split.write };
    const res = await adapter.call(callInput(model('cache'), { messages }));
    expect(res.usage).toMatchObject(expected);
    const { response } = await drain(adapter.stream(callInput(model('cache'), { messages })));
    expect(response.usage).toEqual(res.usage);
  });

  it('streams text deltas that concatenate to the final text, with usage from message_start and message_delta', async () => {
    const { deltas, response } = await drain(adapter.stream(callInput(model('ok'))));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(response.text);
    expect(response.text).toBe(fakeAnswerText(QUESTION));
    expect(response.usage).toEqual({ inputTokens: fakeTokenCount(QUESTION), outputTokens: fakeTokenCount(response.text), cachedInputTokens: 0, cacheWriteTokens: 0 });
    expect(response.finishReason).toBe('stop');
    expect(vendor.requests.at(-1)!.body).toMatchObject({ stream: true });
  });

  it('reports max_tokens as a length finish reason', async () => {
    const res = await adapter.call(callInput(model('ok'), { maxOutputTokens: 3 }));
    expect(res.finishReason).toBe('length');
    const { response } = await drain(adapter.stream(callInput(model('ok'), { maxOutputTokens: 3 })));
    expect(response.finishReason).toBe('length');
  });

  it('maps 429 to rate_limited with Retry-After in ms', async () => {
    for (const err of [await fails('429', 'rate_limited').call(), await fails('429', 'rate_limited').stream()]) {
      expect(err.retryAfterMs).toBe(2_000);
      expect(err.message).toContain('rate_limit_error');
    }
  });

  it('maps 500 and 529 overloaded to server_error, 400 to client_error', async () => {
    await fails('500', 'server_error').call();
    const overloaded = await fails('529', 'server_error').stream();
    expect(overloaded.status).toBe(529);
    await fails('400', 'client_error').call();
  });

  it('maps an overloaded_error event mid-stream to server_error', async () => {
    const err = await fails('error-event', 'server_error').stream();
    expect(err.message).toContain('overloaded_error');
  });

  it('stops promptly with timeout when the server hangs past the signal', async () => {
    for (const work of ['call', 'stream'] as const) {
      const started = performance.now();
      const input = callInput(model('hang'), { signal: AbortSignal.timeout(150) });
      const run = work === 'call' ? adapter.call(input) : drain(adapter.stream(input));
      await expectProviderError(run, 'timeout', [KEY]);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });

  it('maps malformed JSON and missing fields to bad_response', async () => {
    await fails('malformed', 'bad_response').call();
    await fails('malformed', 'bad_response').stream();
    await fails('bad-shape', 'bad_response').call();
    await fails('bad-shape', 'bad_response').stream();
  });

  it('maps a cut stream, and a stream without message_stop, to network', async () => {
    await fails('cut-stream', 'network').stream();
    const err = await fails('early-eof', 'network').stream();
    expect(err.message).toContain('message_stop');
  });

  it('estimates output tokens with the Claude factor when no usage is reported', async () => {
    const res = await adapter.call(callInput(model('no-usage')));
    const estimate = Math.ceil((res.text.length / 4) * CLAUDE_TOKEN_FACTOR);
    expect(res).toMatchObject({ usage: { outputTokens: estimate }, usageSource: 'estimate' });
    const { response } = await drain(adapter.stream(callInput(model('no-usage'))));
    expect(response).toMatchObject({ text: res.text, usage: { outputTokens: estimate }, usageSource: 'estimate' });
  });

  it('sends tool calls as tool_use blocks and tool messages as tool_result blocks in one user turn', async () => {
    const messages = [
      { role: 'user' as const, content: 'a' },
      { role: 'assistant' as const, content: 'b', tool_calls: [{ id: 't1', type: 'function' as const, function: { name: 'f', arguments: '{"x":1}' } }, { id: 't2', type: 'function' as const, function: { name: 'g', arguments: '' } }] },
      { role: 'tool' as const, tool_call_id: 't1', content: 'c' },
      { role: 'tool' as const, tool_call_id: 't2', content: 'd' },
    ];
    await adapter.call(callInput(model('ok'), { messages }));
    expect((vendor.requests.at(-1)!.body as { messages: unknown }).messages).toEqual([
      { role: 'user', content: 'a' },
      { role: 'assistant', content: [{ type: 'text', text: 'b' }, { type: 'tool_use', id: 't1', name: 'f', input: { x: 1 } }, { type: 'tool_use', id: 't2', name: 'g', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'c' }, { type: 'tool_result', tool_use_id: 't2', content: 'd' }] },
    ]);
  });
});
