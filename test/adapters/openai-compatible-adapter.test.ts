import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAICompatibleAdapter } from '../../adapters/openai-compatible-adapter.js';
import type { ModelSpec } from '../../policies/schema.js';
import { fakeAnswerText, fakeCacheSplit, fakeTokenCount, startFakeVendor, type FakeVendor } from '../support/fake-vendor-server.js';
import { callInput, drain, expectProviderError, modelSpec } from '../support/model-call.js';

const KEY_ENV = 'TOLLGATE_TEST_OPENAI_KEY';
const KEY = 'sk-test-SECRET-openai-7f3a9c';
const PATH = '/v1/chat/completions';
const QUESTION = 'What is the capital of France?';

let vendor: FakeVendor;
const adapter = new OpenAICompatibleAdapter();

/** A model whose upstream name selects the fake's behaviour. */
function model(behaviour: string, fields: Partial<ModelSpec> = {}): ModelSpec {
  return modelSpec({ adapter: 'openai-compatible', endpoint: vendor.openaiBaseUrl, apiKeyEnv: KEY_ENV, upstreamModel: behaviour, ...fields });
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

describe('OpenAICompatibleAdapter', () => {
  it('completes a request with the vendor usage and sends exactly one authenticated POST', async () => {
    const before = vendor.count(PATH);
    const res = await adapter.call(callInput(model('ok'), { temperature: 0.2 }));
    expect(res.text).toBe(fakeAnswerText(QUESTION));
    expect(res.usage).toEqual({ inputTokens: fakeTokenCount(QUESTION), outputTokens: fakeTokenCount(res.text), cachedInputTokens: 0 });
    expect(res.usageSource).toBe('vendor');
    expect(res.finishReason).toBe('stop');
    expect(vendor.count(PATH)).toBe(before + 1);
    const sent = vendor.requests.at(-1)!;
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.body).toEqual({ model: 'ok', messages: [{ role: 'user', content: QUESTION }], max_tokens: 256, temperature: 0.2, stream: false });
  });

  it('sends top_p, stop and seed when set, and max_completion_tokens for a model that asks for it', async () => {
    await adapter.call(callInput(model('ok', { maxTokensField: 'max_completion_tokens' }), { topP: 0.9, stop: ['\n\n', 'END'], seed: 42 }));
    expect(vendor.requests.at(-1)!.body).toEqual({ model: 'ok', messages: [{ role: 'user', content: QUESTION }], max_completion_tokens: 256, top_p: 0.9, stop: ['\n\n', 'END'], seed: 42, stream: false });
  });

  it('sends the Tollgate id upstream when no upstreamModel is set, and no auth header without apiKeyEnv', async () => {
    const spec = modelSpec({ id: 'ok', adapter: 'openai-compatible', endpoint: `${vendor.openaiBaseUrl}/` });
    await adapter.call(callInput(spec));
    const sent = vendor.requests.at(-1)!;
    expect((sent.body as { model: string }).model).toBe('ok');
    expect(sent.headers.authorization).toBeUndefined();
  });

  it('streams deltas that concatenate to the final text, with usage from the final chunk', async () => {
    const { deltas, response } = await drain(adapter.stream(callInput(model('ok'))));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(response.text);
    expect(response.text).toBe(fakeAnswerText(QUESTION));
    expect(response.usage.outputTokens).toBe(fakeTokenCount(response.text));
    expect(response.usageSource).toBe('vendor');
    expect(vendor.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('reports cached prompt tokens', async () => {
    const prompt = 'x'.repeat(4_000);
    const res = await adapter.call(callInput(model('cache'), { messages: [{ role: 'user', content: prompt }] }));
    expect(res.usage.cachedInputTokens).toBe(fakeCacheSplit(1_000).read);
    const streamed = await drain(adapter.stream(callInput(model('cache'), { messages: [{ role: 'user', content: prompt }] })));
    expect(streamed.response.usage).toEqual(res.usage);
  });

  it('passes a length finish reason through', async () => {
    const res = await adapter.call(callInput(model('ok'), { maxOutputTokens: 2 }));
    expect(res.finishReason).toBe('length');
    expect(res.text).toHaveLength(8);
  });

  it('maps 429 to rate_limited with Retry-After in ms', async () => {
    for (const err of [await fails('429', 'rate_limited').call(), await fails('429', 'rate_limited').stream()]) {
      expect(err.retryAfterMs).toBe(2_000);
      expect(err.status).toBe(429);
      expect(err.retryable).toBe(true);
    }
  });

  it('maps 5xx to server_error and other 4xx to client_error', async () => {
    expect((await fails('500', 'server_error').call()).status).toBe(500);
    await fails('500', 'server_error').stream();
    const bad = await fails('400', 'client_error').call();
    expect(bad.retryable).toBe(false);
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
    await fails('early-eof', 'bad_response').call();
  });

  it('maps a cut stream or body, and a stream without [DONE], to network', async () => {
    await fails('cut-stream', 'network').stream();
    await fails('cut-stream', 'network').call();
    const err = await fails('early-eof', 'network').stream();
    expect(err.message).toContain('[DONE]');
  });

  it('maps an error chunk mid-stream to server_error', async () => {
    await fails('error-event', 'server_error').stream();
  });

  it('maps a refused connection to network', async () => {
    const port = await freePort();
    await expectProviderError(adapter.call(callInput(model('ok', { endpoint: `http://127.0.0.1:${port}/v1` }))), 'network', [KEY]);
  });

  it('estimates output tokens when the server reports no usage', async () => {
    const res = await adapter.call(callInput(model('no-usage')));
    expect(res.usage).toEqual({ outputTokens: Math.ceil(res.text.length / 4) });
    expect(res.usageSource).toBe('estimate');
    const { response } = await drain(adapter.stream(callInput(model('no-usage'))));
    expect(response).toMatchObject({ text: res.text, usage: { outputTokens: Math.ceil(res.text.length / 4) }, usageSource: 'estimate' });
  });

  it('uses an injected output-token counter and its source', async () => {
    const counting = new OpenAICompatibleAdapter({ outputTokenCounter: { source: 'tokenizer', count: (text) => text.split(' ').length } });
    const res = await counting.call(callInput(model('no-usage')));
    expect(res.usage.outputTokens).toBe(res.text.split(' ').length);
    expect(res.usageSource).toBe('tokenizer');
  });

  it('refuses, without a request, when the key variable is unset, naming the variable only', async () => {
    const before = vendor.count();
    const err = await expectProviderError(adapter.call(callInput(model('ok', { apiKeyEnv: 'TOLLGATE_TEST_UNSET_KEY' }))), 'client_error');
    expect(err.message).toContain('TOLLGATE_TEST_UNSET_KEY');
    expect(vendor.count()).toBe(before);
  });
});

/** A port with nothing listening on it (bound, then released). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}
