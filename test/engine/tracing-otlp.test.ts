import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createTollgate } from '../../compose.js';
import { startTelemetry } from '../../examples/otel/otlp.js';

afterEach(() => {
  trace.disable();
  metrics.disable();
});

const body = (req: IncomingMessage) => new Promise<string>((r) => { let s = ''; req.on('data', (d) => (s += d)); req.on('end', () => r(s)); });

describe('examples/otel: OTLP/HTTP exporters wired to Tollgate', () => {
  it('delivers the GenAI span and metrics to an OTLP/HTTP receiver', async () => {
    const received: { path: string; body: string }[] = [];
    const server = createServer(async (req, res) => {
      received.push({ path: req.url ?? '', body: await body(req) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const telemetry = startTelemetry({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ratio: 1 });
      const tg = createTollgate({ policy: { name: 'otel-demo', models: [{ id: 'sim-mini', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, prices: { inputPerM: 0.15, outputPerM: 0.6 } }] } });
      await tg.complete({ tenant: 'demo', messages: [{ role: 'user', content: 'What does a token cost?' }] });
      await tg.close();
      await telemetry.shutdown(); // flushes both pipelines
      const traces = received.filter((r) => r.path === '/v1/traces').map((r) => r.body).join('');
      const sent = received.filter((r) => r.path === '/v1/metrics').map((r) => r.body).join('');
      expect(traces).toContain('chat auto');
      expect(traces).toContain('gen_ai.usage.cost.amount');
      expect(traces).toContain('gen_ai.usage.input_tokens');
      expect(sent).toContain('gen_ai.client.token.usage');
      expect(sent).toContain('gen_ai.client.operation.duration');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
