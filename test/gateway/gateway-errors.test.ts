import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey } from '../../gateway/api-keys.js';
import { TollgateMetrics } from '../../adapters/observers/prometheus-metrics.js';
import { ask, type Harness, post, startHarness } from './harness.js';

/** Auth, validation, size limit, budgets and rate limits: typed OpenAI-shaped errors from the real server. */

let h: Harness;
let brokeKey: string;
let slowKey: string;
const metrics = new TollgateMetrics();

beforeAll(async () => {
  h = await startHarness(
    { primary: 'ok' },
    {
      bodyLimit: 64 * 1024,
      metrics,
      policy: {
        tenants: {
          broke: { budgets: [{ window: 'day', usd: 0.000001 }] },
          slow: { rateLimit: { requestsPerMinute: 1 } },
        },
      },
    },
  );
  // Added after the server started: the key store picks them up without a restart.
  brokeKey = addKey(h.keysPath, 'broke');
  slowKey = addKey(h.keysPath, 'slow');
});
afterAll(() => h.close());

const isOpenAIError = (json: any) =>
  expect(json).toMatchObject({ error: { message: expect.any(String), type: expect.any(String), code: expect.anything() } });

describe('gateway errors', () => {
  it('answers 401 in OpenAI shape for a missing or unknown key, and never echoes the key', async () => {
    const none = await post(h, ask('hi'), { authorization: '' });
    expect(none.status).toBe(401);
    isOpenAIError(none.json);
    expect(none.json.error.code).toBe('missing_api_key');
    const wrong = await post(h, ask('hi'), { authorization: 'Bearer tg-not-a-real-key-0000000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('invalid_api_key');
    expect(JSON.stringify(wrong.json)).not.toContain('tg-not-a-real-key');
    const viaClient = await new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'tg-unknown-key-123456789', maxRetries: 0 }).chat.completions
      .create(ask('hi'))
      .catch((e: unknown) => e);
    expect(viaClient).toBeInstanceOf(OpenAI.AuthenticationError);
    const models = await fetch(`${h.gw.url}/v1/models`);
    expect(models.status).toBe(401);
  });

  it('answers 400 with every failing field path for an invalid body', async () => {
    const r = await post(h, { model: 'auto', messages: [{ role: 'wizard', content: 'x' }, { role: 'user' }], temperature: 7, max_tokens: -1 });
    expect(r.status).toBe(400);
    isOpenAIError(r.json);
    expect(r.json.error.type).toBe('invalid_request_error');
    expect(r.json.error.param).toBe('messages[0].role');
    for (const p of ['messages[0].role', 'messages[1].content', 'temperature', 'max_tokens']) expect(r.json.error.message).toContain(p);
    const empty = await post(h, { model: 'auto', messages: [] });
    expect(empty.status).toBe(400);
    expect(empty.json.error.param).toBe('messages');
    const noModel = await post(h, { messages: [{ role: 'user', content: 'x' }] });
    expect(noModel.json.error.param).toBe('model');
    const notJson = await post(h, '{"model": "auto", "messages": [');
    expect(notJson.status).toBe(400);
    isOpenAIError(notJson.json);
    const tools = await post(h, { ...ask('x'), tools: [{ type: 'function' }] });
    expect(tools.status).toBe(400);
    expect(tools.json.error.param).toBe('tools[0].function'); // a malformed tool: its missing function is named (#15)
  });

  it('answers 413 for an oversized body', async () => {
    const r = await post(h, ask('x'.repeat(70 * 1024)));
    expect(r.status).toBe(413);
    isOpenAIError(r.json);
    expect(r.json.error.code).toBe('request_too_large');
    expect(h.sink!.records.every((rec) => rec.outcome !== 'ok' || rec.tokens.input < 10_000)).toBe(true);
  });

  it('answers 429 insufficient_quota with Retry-After when the tenant is over budget', async () => {
    const r = await post(h, ask('hello'), { authorization: `Bearer ${brokeKey}` });
    expect(r.status).toBe(429);
    isOpenAIError(r.json);
    expect(r.json.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(h.sink!.records.find((rec) => rec.tenant === 'broke')?.outcome).toBe('refused');
  });

  it('answers 429 rate_limit_exceeded with Retry-After when the tenant is rate limited', async () => {
    const first = await post(h, ask('one'), { authorization: `Bearer ${slowKey}` });
    expect(first.status).toBe(200);
    const second = await post(h, ask('two'), { authorization: `Bearer ${slowKey}` });
    expect(second.status).toBe(429);
    expect(second.json.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const viaClient = await new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: slowKey, maxRetries: 0 }).chat.completions.create(ask('three')).catch((e: unknown) => e);
    expect(viaClient).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('serves /healthz and /metrics without a key, and 404s unknown routes in OpenAI shape', async () => {
    const health = await (await fetch(`${h.gw.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', policy: 'test-http' });
    const res = await fetch(`${h.gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('tollgate_requests_total');
    const nope = await fetch(`${h.gw.url}/v2/nothing`);
    expect(nope.status).toBe(404);
    isOpenAIError(await nope.json());
  });
});
