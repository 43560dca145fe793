import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { fullCost } from '../../engine/cost.js';
import { addKey, KeyStore } from '../../gateway/api-keys.js';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import { FakeBatchVendor } from '../adapters/batch/batch-fake-vendor.js';
import { deferPolicy, deferredOptions } from '../engine/deferrable-fixtures.js';

/**
 * Client batches through the engine's deferrable path (`batches: { defer: true }` on a Tollgate composed
 * with `deferred`): plain-chat lines go to the vendor's batch API at its batch price, each once; a line
 * that is not plain chat runs now; a line for a model without a batch API is a batch_unsupported error line.
 */
describe('client batches deferred to vendor batch APIs', () => {
  let vendor: FakeBatchVendor;
  let gw: RunningGateway;
  let dir: string;
  let client: OpenAI;
  const sink = new MemoryDecisionSink();

  beforeAll(async () => {
    vendor = await new FakeBatchVendor().start();
    dir = mkdtempSync(join(tmpdir(), 'tg-client-deferred-'));
    const keysPath = join(dir, 'keys.json');
    const key = addKey(keysPath, 'acme');
    const keys = new KeyStore(keysPath);
    const tollgate = createTollgate({ policy: deferPolicy(vendor.url), decisionLog: sink, deferred: deferredOptions(vendor.url) });
    gw = await startGateway({ tollgate, tenantForKey: (k) => keys.tenantFor(k), batches: { defer: true } });
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await vendor?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const line = (custom_id: string, body: Record<string, unknown>) => JSON.stringify({ custom_id, method: 'POST', url: '/v1/chat/completions', body: { max_tokens: 64, ...body } });

  it('sends plain lines through the batch API at the batch price, runs the others now, and refuses an unbatchable model per line', async () => {
    const N = 8;
    const text = [
      ...Array.from({ length: N }, (_, i) => line(`d-${i}`, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Digest ${i}` }] })),
      line('parts-now', { model: 'local', messages: [{ role: 'user', content: [{ type: 'text', text: 'Run me now' }] }] }),
      line('local-deferred', { model: 'local', messages: [{ role: 'user', content: 'No batch API here' }] }),
    ].join('\n');
    const file = await client.files.create({ file: await toFile(Buffer.from(text), 'deferred.jsonl'), purpose: 'batch' });
    let b = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    for (let i = 0; i < 2000 && !['completed', 'failed', 'cancelled', 'expired'].includes(b.status); i++) {
      await new Promise((r) => setTimeout(r, 10));
      b = await client.batches.retrieve(b.id);
    }
    expect(b.status).toBe('completed');
    expect(b.request_counts).toEqual({ total: N + 2, completed: N + 1, failed: 1 });

    const out = (await (await client.files.content(b.output_file_id!)).text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const sent = vendor.batches.flatMap((x) => x.lines.map((l) => l.custom_id));
    expect(sent.sort()).toEqual(Array.from({ length: N }, (_, i) => `${b.id}-${i}`).sort()); // each plain line once, by its request id
    const basis = createTollgate({ policy: deferPolicy('http://127.0.0.1:1') }).policy.byId.get('gpt-4o-mini')!.basis;
    for (const l of out.filter((x) => x.custom_id.startsWith('d-'))) {
      expect(l.response.body.choices[0].message.content).toBe(`batch answer to ${l.response.request_id} (gpt-4o-mini)`);
      const rec = sink.records.find((r) => r.requestId === l.response.request_id)!;
      expect(rec).toMatchObject({ outcome: 'ok', tenant: 'acme', model: 'gpt-4o-mini' });
      expect(rec.actions?.[0]).toMatch(/^batch:openai:/);
      const list = fullCost(basis, { inputTokens: rec.tokens.input, outputTokens: rec.tokens.output, cachedInputTokens: 0 }).full;
      expect(Math.abs(rec.cost.full - list / 2)).toBeLessThanOrEqual(1); // the batch price
    }
    const now = out.find((x) => x.custom_id === 'parts-now');
    expect(now).toMatchObject({ response: { status_code: 200, body: { model: 'local' } } });
    expect(sink.records.find((r) => r.requestId === now.response.request_id)?.actions ?? []).not.toContainEqual(expect.stringMatching(/^batch:/));

    const errs = (await (await client.files.content(b.error_file_id!)).text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(errs).toEqual([expect.objectContaining({ custom_id: 'local-deferred', error: expect.objectContaining({ code: 'batch_unsupported' }) })]);
    expect(sink.records.find((r) => r.requestId === errs[0].response.request_id)).toMatchObject({ outcome: 'error' });
  });
});
