import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { fullCost } from '../../engine/cost.js';
import { addKey, KeyStore } from '../../gateway/api-keys.js';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import { FakeBatchVendor } from '../adapters/batch/batch-fake-vendor.js';
import { deferPolicy, deferredOptions } from '../engine/deferrable-fixtures.js';

/** #18 item 5 on the gateway: `Tollgate-Deferrable: 24h` → 202 + request id → `GET /v1/tollgate/deferred/{id}`. */
describe('gateway deferrable requests (#18 item 5)', () => {
  let vendor: FakeBatchVendor;
  let gw: RunningGateway;
  let dir: string;
  let key: string;
  let otherKey: string;
  const sink = new MemoryDecisionSink();

  beforeAll(async () => {
    vendor = await new FakeBatchVendor().start();
    dir = mkdtempSync(join(tmpdir(), 'tg-deferred-'));
    const keysPath = join(dir, 'keys.json');
    key = addKey(keysPath, 'acme');
    otherKey = addKey(keysPath, 'other');
    const keys = new KeyStore(keysPath);
    const tollgate = createTollgate({ policy: deferPolicy(vendor.url), decisionLog: sink, deferred: deferredOptions(vendor.url) });
    gw = await startGateway({ tollgate, tenantForKey: (k) => keys.tenantFor(k) });
  });
  afterAll(async () => {
    await gw?.close();
    await vendor?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown, headers: Record<string, string> = {}, k = key) =>
    fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const get = (path: string, k = key) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${k}` } });
  const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Write the weekly digest.' }], max_tokens: 64 };

  it('answers 202 with the request id and where to fetch the result; the result is the chat completion at the batch price', async () => {
    const res = await post(chat, { 'tollgate-deferrable': '24h', 'x-request-id': 'gw-def-1' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string; result_url: string; model: string };
    expect(body).toEqual({ id: 'gw-def-1', object: 'tollgate.deferred', status: 'pending', model: 'gpt-4o-mini', result_url: '/v1/tollgate/deferred/gw-def-1' });
    expect(res.headers.get('location')).toBe(body.result_url);
    // Pending (202) until the batch settles, then 200 with the completion.
    let got: Response;
    for (;;) {
      got = await get(body.result_url);
      if (got.status !== 202) break;
      expect(((await got.json()) as { status: string }).status).toBe('pending');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(got.status).toBe(200);
    const done = (await got.json()) as { status: string; cost_micros: number; response: { object: string; choices: { message: { content: string } }[]; usage: { prompt_tokens: number; completion_tokens: number } } };
    expect(done.status).toBe('completed');
    expect(done.response.object).toBe('chat.completion');
    expect(done.response.choices[0]!.message.content).toBe('batch answer to gw-def-1 (gpt-4o-mini)');
    const record = sink.records.find((r) => r.requestId === 'gw-def-1')!;
    expect(record).toMatchObject({ outcome: 'ok', tenant: 'acme', model: 'gpt-4o-mini' });
    expect(done.cost_micros).toBe(record.cost.full);
    const list = fullCost(createBasis(), { inputTokens: record.tokens.input, outputTokens: record.tokens.output, cachedInputTokens: 0 }).full;
    expect(Math.abs(record.cost.full - list / 2)).toBeLessThanOrEqual(1);
    // Another tenant's key cannot read it; an unknown id is 404.
    expect((await get(body.result_url, otherKey)).status).toBe(404);
    expect((await get('/v1/tollgate/deferred/nobody')).status).toBe(404);
  });

  it('a failed line is fetched as status failed with its error; bad headers are 400 naming the header', async () => {
    vendor.expireNext = true;
    const res = await post(chat, { 'tollgate-deferrable': '2d', 'x-request-id': 'gw-def-2' });
    expect(res.status).toBe(202);
    let got: Response;
    do {
      await new Promise((r) => setTimeout(r, 10));
      got = await get('/v1/tollgate/deferred/gw-def-2');
    } while (got.status === 202);
    expect(await got.json()).toMatchObject({ status: 'failed', error: { code: 'batch_expired' } });

    const bad = await post(chat, { 'tollgate-deferrable': 'tomorrow' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { param: 'tollgate-deferrable', code: 'invalid_request' } });
    const streamed = await post({ ...chat, stream: true }, { 'tollgate-deferrable': '24h' });
    expect(streamed.status).toBe(400);
    const local = await post({ ...chat, model: 'local' }, { 'tollgate-deferrable': '24h' });
    expect(local.status).toBe(400);
    expect(await local.json()).toMatchObject({ error: { code: 'batch_unsupported' } });
  });

  it('a request a defer rule matches is answered 202 without the header; others run now (200)', async () => {
    const res = await post({ ...chat, model: 'auto' }, { 'x-tollgate-tags': 'nightly', 'x-request-id': 'gw-rule-1' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id: 'gw-rule-1', model: 'claude-haiku', status: 'pending' });
    const now = await post({ ...chat, model: 'local' });
    expect(now.status).toBe(200);
    expect(await now.json()).toMatchObject({ object: 'chat.completion' });
  });
});

/** gpt-4o-mini's price basis from the policy (list price). */
function createBasis() {
  return createTollgate({ policy: deferPolicy('http://127.0.0.1:1') }).policy.byId.get('gpt-4o-mini')!.basis;
}
