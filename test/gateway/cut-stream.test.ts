import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { MemoryBudgetStore } from '../../adapters/stores/memory-budget-store.js';
import { createTollgate } from '../../compose.js';
import { addKey, KeyStore } from '../../gateway/api-keys.js';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import type { PolicyInput } from '../../policies/schema.js';

const DELTAS = 40;
const PROMPT_TOKENS = 12;

/**
 * A vendor that streams 40 deltas, 5 ms apart, then its usage: OpenAI chat completions (final
 * `include_usage` chunk) on /v1/chat/completions, Anthropic Messages (`message_delta` usage) on /v1/messages.
 * It counts the streams it finished writing (it bills for those).
 */
async function startStreamingVendor(): Promise<{ url: string; finished: () => number; hold: (p: Promise<void> | undefined) => void; dieAfterHold: (v: boolean) => void; close: () => Promise<void> }> {
  let finished = 0;
  let die = false; // cut the connection (no usage ever sent) once the hold is released
  let gate: Promise<void> | undefined; // while set, every stream waits here after its 38th delta
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (s: string) => new Promise<void>((r) => (res.destroyed ? r() : res.write(s, () => r())));
      const pause = () => new Promise((r) => setTimeout(r, 5));
      if (req.url === '/v1/messages') {
        const ev = (type: string, data: object) => send(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
        await ev('message_start', { message: { id: 'm', type: 'message', role: 'assistant', model: 'c', content: [], usage: { input_tokens: PROMPT_TOKENS, output_tokens: 1 } } });
        await ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
        for (let i = 0; i < DELTAS; i++) {
          if (i === DELTAS - 2 && gate) await gate;
          await ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ` w${i}` } });
          await pause();
        }
        await ev('content_block_stop', { index: 0 });
        await ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: DELTAS } });
        await ev('message_stop', {});
      } else {
        const chunk = (o: object) => send(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', ...o })}\n\n`);
        await chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
        for (let i = 0; i < DELTAS; i++) {
          if (i === DELTAS - 2 && gate) {
            await gate;
            if (die) return void res.destroy();
          }
          await chunk({ choices: [{ index: 0, delta: { content: ` w${i}` }, finish_reason: null }] });
          await pause();
        }
        await chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
        await chunk({ choices: [], usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: DELTAS, total_tokens: PROMPT_TOKENS + DELTAS } });
        await send('data: [DONE]\n\n');
      }
      finished++;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, finished: () => finished, hold: (p) => (gate = p), dieAfterHold: (v) => (die = v), close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** Streams a chat completion over a raw socket, reads `keep` content deltas, then destroys the socket. */
function readThenHangUp(url: string, key: string, model: string, keep: number, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'count to forty' }], stream: true, max_tokens: 200 });
    const req = httpRequest(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': id } }, (res) => {
      let seen = 0;
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const ev = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (ev.startsWith('data: {') && JSON.parse(ev.slice(6)).choices?.[0]?.delta?.content) seen++;
          if (seen === keep) {
            req.destroy();
            resolve(seen);
            return;
          }
        }
      });
      res.on('end', () => resolve(seen));
    });
    req.on('error', (e) => (e.message.includes('socket hang up') || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end(body);
  });
}

describe('a stream the client cuts is paid for (#14 item 3)', () => {
  let vendor: Awaited<ReturnType<typeof startStreamingVendor>>;
  let gw: RunningGateway;
  let sink: MemoryDecisionSink;
  let budgets: MemoryBudgetStore;
  let key: string;
  let dir: string;

  beforeAll(async () => {
    vendor = await startStreamingVendor();
    dir = mkdtempSync(join(tmpdir(), 'tg-cut-'));
    key = addKey(join(dir, 'keys.json'), 'acme');
    const keys = new KeyStore(join(dir, 'keys.json'));
    const policy: PolicyInput = {
      name: 'cut-stream',
      models: [
        { id: 'oai', tier: 'vendor', adapter: 'openai-compatible', endpoint: `${vendor.url}/v1`, contextWindow: 8000, prices: { inputPerM: 10, outputPerM: 100 }, quality: 0.9 },
        { id: 'claude', tier: 'vendor', adapter: 'anthropic', endpoint: vendor.url, contextWindow: 8000, prices: { inputPerM: 10, outputPerM: 100 }, quality: 0.9 },
      ],
      rules: [{ name: 'first', models: ['oai'] }],
      tenants: { acme: { budgets: [{ window: 'month', usd: 10 }] } },
    };
    process.env.ANTHROPIC_API_KEY ??= 'sk-ant-test';
    sink = new MemoryDecisionSink();
    budgets = new MemoryBudgetStore(createTollgate({ policy }).policy.policy.tenants);
    const tollgate = createTollgate({ policy, decisionLog: sink, budgetStore: budgets });
    gw = await startGateway({ tollgate, tenantForKey: (k) => keys.tenantFor(k) });
  });
  afterAll(async () => {
    await gw.close();
    await vendor.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const model of ['oai', 'claude']) {
    it(`${model}: 30 clients read 38 of 40 deltas and hang up; each is logged client_cancelled at the vendor's usage and charged`, async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `${model}-cut-${i}`);
      // The vendor holds the last two deltas until every client has hung up and the gateway has seen it,
      // so no stream can complete before its client is gone (whatever the machine's load).
      let open!: () => void;
      vendor.hold(new Promise<void>((r) => (open = r)));
      const seen = await Promise.all(ids.map((id) => readThenHangUp(gw.url, key, model, 38, id)));
      expect(seen).toEqual(Array(30).fill(38));
      await expect.poll(() => new Promise<number>((r) => gw.app.server.getConnections((_e, n) => r(n))), { timeout: 10_000 }).toBe(0);
      vendor.hold(undefined);
      open();
      await expect.poll(() => sink.records.filter((r) => ids.includes(r.requestId)).length, { timeout: 10_000 }).toBe(30);
      const records = sink.records.filter((r) => ids.includes(r.requestId));
      for (const r of records) {
        expect(r.error?.code).toBe('client_cancelled');
        expect(r.model).toBe(model);
        expect(r.tokens).toMatchObject({ output: DELTAS, source: 'vendor' });
        expect(r.cost.full).toBeGreaterThan(0);
      }
      const used = (await budgets.usage('acme')).find((u) => u.dimension === 'micros')!.used;
      const logged = sink.records.reduce((s, r) => s + r.cost.full, 0);
      expect(used).toBe(logged); // the budget is charged what the log says was spent
    });
  }

  it('when the drain fails too (the vendor cuts the connection before its usage), the request is charged at its output cap', async () => {
    const ids = ['bound-cut-0', 'bound-cut-1'];
    let open!: () => void;
    vendor.hold(new Promise<void>((r) => (open = r)));
    vendor.dieAfterHold(true);
    try {
      await Promise.all(ids.map((id) => readThenHangUp(gw.url, key, 'oai', 38, id)));
      await expect.poll(() => new Promise<number>((r) => gw.app.server.getConnections((_e, n) => r(n))), { timeout: 10_000 }).toBe(0);
      vendor.hold(undefined);
      open();
      await expect.poll(() => sink.records.filter((r) => ids.includes(r.requestId)).length, { timeout: 10_000 }).toBe(2);
    } finally {
      vendor.dieAfterHold(false);
    }
    for (const r of sink.records.filter((x) => ids.includes(x.requestId))) {
      expect(r.error?.code).toBe('client_cancelled');
      expect(r.error?.message).toMatch(/charged at its output cap/);
      expect(r.tokens).toMatchObject({ output: 200, source: 'estimate' }); // max_tokens: 200
      expect(r.cost.full).toBeGreaterThan(0);
    }
    const used = (await budgets.usage('acme')).find((u) => u.dimension === 'micros')!.used;
    expect(used).toBe(sink.records.reduce((s, r) => s + r.cost.full, 0));
  });
});
