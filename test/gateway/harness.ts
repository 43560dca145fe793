import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { addKey, KeyStore } from '../../gateway/api-keys.js';
import { type MetricsSource, type RunningGateway, startGateway } from '../../gateway/server.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';
import type { Tollgate } from '../../engine/tollgate.js';
import type { PolicyInput } from '../../policies/schema.js';
import { type FakeVendor, type FakeVendorOptions, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

/** The credential the policy's models send to the fake vendor (read from the environment by adapters). */
export const UPSTREAM_KEY = 'sk-upstream-test-key-123456';
process.env.TOLLGATE_TEST_KEY = UPSTREAM_KEY;

export interface Harness {
  vendor: FakeVendor;
  gw: RunningGateway;
  tollgate: Tollgate;
  sink: MemoryDecisionSink | undefined;
  /** A valid key for tenant `acme`. */
  key: string;
  keysPath: string;
  dir: string;
  client: OpenAI;
  close(): Promise<void>;
}

/**
 * A real fake vendor on 127.0.0.1 and the real gateway in front of it, on an ephemeral port, with the
 * policy `httpPolicy(vendor, upstream)` (first model primary, the rest its fallback chain).
 */
export async function startHarness(
  upstream: Record<string, string>,
  o: { policy?: Partial<PolicyInput> | ((vendorUrl: string) => Partial<PolicyInput>); vendor?: FakeVendorOptions; sink?: DecisionSink; bodyLimit?: number; metrics?: MetricsSource & { observe(r: DecisionRecord): void } } = {},
): Promise<Harness> {
  const vendor = await startFakeVendor({ apiKey: UPSTREAM_KEY, ...o.vendor });
  const dir = mkdtempSync(join(tmpdir(), 'tg-gw-'));
  const keysPath = join(dir, 'keys.json');
  const key = addKey(keysPath, 'acme');
  const keys = new KeyStore(keysPath);
  const sink = o.sink ? undefined : new MemoryDecisionSink();
  const tollgate = createTollgate({ policy: httpPolicy(vendor.url, upstream, typeof o.policy === 'function' ? o.policy(vendor.url) : o.policy), decisionLog: o.sink ?? sink, observers: o.metrics ? [(r) => o.metrics!.observe(r)] : [] });
  const gw = await startGateway({ tollgate, tenantForKey: (k) => keys.tenantFor(k), bodyLimit: o.bodyLimit, metrics: o.metrics });
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  return {
    vendor, gw, tollgate, sink, key, keysPath, dir, client,
    close: async () => {
      await gw.close();
      await vendor.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw POST to the gateway (for shapes the official client would refuse to send). */
export async function post(h: Harness, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

export const ask = (content: string, model = 'auto') => ({ model, messages: [{ role: 'user' as const, content }] });
