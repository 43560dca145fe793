import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnthropicAdapter } from '../../adapters/anthropic-adapter.js';
import { JSON_OBJECT_INSTRUCTION } from '../../adapters/anthropic-translate.js';
import { OpenAICompatibleAdapter } from '../../adapters/openai-compatible-adapter.js';
import { callInput, expectProviderError, modelSpec } from '../support/model-call.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';

/** Anthropic translation of options (#15 item 2) and vendor usage parts both adapters read (#15 item 6). */

let vendor: FakeVendor;
/** A server that answers one fixed JSON body, to feed the adapters usage shapes the fake does not send. */
let fixed: Server;
let fixedBody: object = {};
let fixedUrl = '';

beforeAll(async () => {
  vendor = await startFakeVendor();
  fixed = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(fixedBody));
    });
  });
  await new Promise<void>((r) => fixed.listen(0, '127.0.0.1', r));
  fixedUrl = `http://127.0.0.1:${(fixed.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await vendor.close();
  await new Promise((r) => fixed.close(r));
});

const claude = () => modelSpec({ adapter: 'anthropic', endpoint: vendor.url, upstreamModel: 'ok' });
const sent = () => vendor.requests.at(-1)!.body as Record<string, unknown>;

describe('Anthropic request translation', () => {
  const adapter = new AnthropicAdapter();

  it('json_object becomes a system instruction; reasoning_effort a thinking budget without temperature/top_p; service tier and user map', async () => {
    await adapter.call(callInput(claude(), {
      messages: [{ role: 'system', content: 'Be exact.' }, { role: 'user', content: 'JSON please' }],
      maxOutputTokens: 20_000,
      temperature: 0.3,
      topP: 0.9,
      responseFormat: { type: 'json_object' },
      reasoningEffort: 'medium',
      serviceTier: 'default',
      user: 'u-1',
    }));
    expect(sent()).toMatchObject({ system: `Be exact.\n\n${JSON_OBJECT_INSTRUCTION}`, thinking: { type: 'enabled', budget_tokens: 8192 }, service_tier: 'standard_only', metadata: { user_id: 'u-1' } });
    expect(sent()).not.toHaveProperty('temperature');
    expect(sent()).not.toHaveProperty('top_p');
  });

  it('a thinking budget is capped below max_tokens; too small a max_tokens, or a flex tier, is a client error (the engine falls back)', async () => {
    await adapter.call(callInput(claude(), { messages: [{ role: 'user', content: 'x' }], maxOutputTokens: 4000, reasoningEffort: 'high' }));
    expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: 3999 });
    await expectProviderError(adapter.call(callInput(claude(), { messages: [{ role: 'user', content: 'x' }], maxOutputTokens: 500, reasoningEffort: 'low' })), 'client_error');
    await expectProviderError(adapter.call(callInput(claude(), { messages: [{ role: 'user', content: 'x' }], serviceTier: 'flex' })), 'client_error');
  });
});

describe('vendor usage parts', () => {
  it('Anthropic: cache_creation split into 1-hour writes; the served service tier is kept', async () => {
    fixedBody = {
      content: [{ type: 'text', text: 'ok' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 600, cache_creation_input_tokens: 300, cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 100 }, service_tier: 'priority' },
    };
    const r = await new AnthropicAdapter().call(callInput(modelSpec({ adapter: 'anthropic', endpoint: fixedUrl })));
    expect(r.usage).toEqual({ inputTokens: 1000, outputTokens: 20, cachedInputTokens: 600, cacheWriteTokens: 300, cacheWrite1hTokens: 100 });
    expect(r.serviceTier).toBe('priority');
  });

  it('OpenAI: reasoning_tokens kept apart (a subset of completion_tokens); the served service_tier is kept; refusal carried', async () => {
    fixedBody = {
      choices: [{ message: { content: null, refusal: 'I cannot help with that.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 50, completion_tokens: 400, prompt_tokens_details: { cached_tokens: 10 }, completion_tokens_details: { reasoning_tokens: 300 } },
      service_tier: 'flex',
    };
    const r = await new OpenAICompatibleAdapter().call(callInput(modelSpec({ adapter: 'openai-compatible', endpoint: `${fixedUrl}/v1` })));
    expect(r.usage).toEqual({ inputTokens: 50, outputTokens: 400, cachedInputTokens: 10, reasoningTokens: 300 });
    expect(r.serviceTier).toBe('flex');
    expect(r.refusal).toBe('I cannot help with that.');
  });
});
