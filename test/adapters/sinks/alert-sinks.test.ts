import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogAlertSink } from '../../../adapters/sinks/log-alert-sink.js';
import { WebhookAlertSink } from '../../../adapters/sinks/webhook-alert-sink.js';
import { AlertDeliveryError, type Alert } from '../../../adapters/observers/alerts/alert-sink.js';
import { DedupingAlertSink } from '../../../adapters/observers/alerts/dedup.js';

const alert = (key: string, at: string): Alert => ({ key, kind: 'burn-rate', severity: 'page', tenant: 'acme', at, message: 'm', data: { longBurn: 20 } });

let server: Server;
let base: string;
const received: { path: string; headers: IncomingMessage['headers']; body: unknown }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/hang') return; // never answers
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body) });
      res.statusCode = req.url === '/fail' ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('WebhookAlertSink (real HTTP server)', () => {
  it('POSTs the alert as JSON with the configured headers', async () => {
    const sink = new WebhookAlertSink({ url: `${base}/hook`, headers: { authorization: 'Bearer t' } });
    await sink.send(alert('k1', '2030-01-01T00:00:00Z'));
    const got = received.find((r) => r.path === '/hook')!;
    expect(got.body).toEqual({ alert: alert('k1', '2030-01-01T00:00:00Z') });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers.authorization).toBe('Bearer t');
  });

  it('rejects with AlertDeliveryError on HTTP 500 and on timeout', async () => {
    const err = await new WebhookAlertSink({ url: `${base}/fail` }).send(alert('k2', '2030-01-01T00:00:00Z')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlertDeliveryError);
    expect(err).toMatchObject({ code: 'alert_delivery_failed', status: 500 });
    const slow = await new WebhookAlertSink({ url: `${base}/hang`, timeoutMs: 200 }).send(alert('k3', '2030-01-01T00:00:00Z')).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(AlertDeliveryError);
    expect((slow as Error).message).toMatch(/timed out/);
  });

  it('deduplicates the same key within its window (by alert time)', async () => {
    const sink = new WebhookAlertSink({ url: `${base}/dedup`, dedupWindowMs: 3_600_000 });
    await sink.send(alert('same', '2030-01-01T00:00:00Z'));
    await sink.send(alert('same', '2030-01-01T00:59:59Z'));
    await sink.send(alert('other', '2030-01-01T00:30:00Z'));
    await sink.send(alert('same', '2030-01-01T01:00:00Z'));
    expect(received.filter((r) => r.path === '/dedup').map((r) => (r.body as { alert: Alert }).alert.at)).toEqual([
      '2030-01-01T00:00:00Z',
      '2030-01-01T00:30:00Z',
      '2030-01-01T01:00:00Z',
    ]);
  });
});

describe('LogAlertSink', () => {
  it('writes one JSON line per alert, deduplicated when asked', async () => {
    const lines: string[] = [];
    const sink = new DedupingAlertSink(new LogAlertSink({ write: (l) => lines.push(l) }), 600_000);
    await sink.send(alert('a', '2030-01-01T00:00:00Z'));
    await sink.send(alert('a', '2030-01-01T00:05:00Z'));
    await sink.send(alert('a', '2030-01-01T00:10:00Z'));
    expect(lines.map((l) => (JSON.parse(l) as { alert: Alert }).alert.at)).toEqual(['2030-01-01T00:00:00Z', '2030-01-01T00:10:00Z']);
    const own: string[] = [];
    const deduping = new LogAlertSink({ write: (l) => own.push(l), dedupWindowMs: 600_000 });
    await deduping.send(alert('b', '2030-01-01T00:00:00Z'));
    await deduping.send(alert('b', '2030-01-01T00:01:00Z'));
    expect(own).toHaveLength(1);
  });
});
