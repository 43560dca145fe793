import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAICompatibleAdapter } from '../../adapters/openai-compatible-adapter.js';
import { callInput, expectProviderError, modelSpec } from '../support/model-call.js';

/**
 * The keep-alive race: the vendor closes an idle pooled connection just as the adapter reuses it, so the
 * request dies with ECONNRESET before any response (seen under load in the fleet test as a 502
 * provider_network). This server answers the first request on a connection and resets the connection
 * when a second request arrives on it — the race made deterministic. The adapter must send the request
 * again on a fresh socket, exactly once; a reset on a fresh socket is still a network failure.
 */
let server: Server;
let url = '';
let requests = 0;
let resetFresh = false;
const perSocket = new WeakMap<Socket, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (n > 1 || resetFresh) {
      req.socket.destroy();
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const text = 'ok';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

describe('HTTP transport on a pooled keep-alive socket', () => {
  const adapter = new OpenAICompatibleAdapter();
  const model = () => modelSpec({ adapter: 'openai-compatible', endpoint: url, upstreamModel: 'm' });

  it('sends a request again, once, on a fresh socket when the reused one was reset before any response', async () => {
    requests = 0;
    for (let i = 0; i < 5; i++) {
      const res = await adapter.call(callInput(model()));
      expect(res.text).toBe('ok');
    }
    // The first call opens a socket; each later one hits a reused socket (reset) and then a fresh one.
    expect(requests).toBe(1 + 4 * 2);
  });

  it('a reset on a fresh socket is a network failure, not retried', async () => {
    resetFresh = true;
    try {
      server.closeAllConnections();
      requests = 0;
      await expectProviderError(adapter.call(callInput(model())), 'network');
      expect(requests).toBeLessThanOrEqual(2); // at most: a pooled socket reset, then the fresh one
    } finally {
      resetFresh = false;
    }
  });
});
