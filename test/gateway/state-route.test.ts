import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../compose.js';
import { addKey, KeyStore } from '../../gateway/api-keys.js';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import type { TollgateState } from '../../engine/tollgate.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

/** `GET /v1/tollgate/state`: breaker and guard states for operators, behind an admin key. */
let vendor: FakeVendor;
let gw: RunningGateway;
let dir: string;
let tenantKey: string;
let adminKey: string;
const t = Date.UTC(2026, 4, 4, 12);

beforeAll(async () => {
  process.env.TOLLGATE_TEST_KEY = 'sk-up';
  vendor = await startFakeVendor({ retryAfter: '0' });
  dir = mkdtempSync(join(tmpdir(), 'tg-state-'));
  const keysPath = join(dir, 'keys.json');
  tenantKey = addKey(keysPath, 'acme');
  adminKey = addKey(keysPath, 'ops', new Date(), { admin: true });
  const keys = new KeyStore(keysPath);
  const tollgate = createTollgate({
    policy: httpPolicy(vendor.url, { flaky: '500', backup: 'ok' }, {
      circuitBreaker: { failureThreshold: 1, cooldownMs: 30_000 },
      tenants: { acme: { budgets: [{ window: 'day', tokens: 1_000 }], actions: [{ atFraction: 0.01, action: 'warn' }] } },
    }),
    clock: () => t,
  });
  gw = await startGateway({ tollgate, tenantForKey: (k) => keys.tenantFor(k), isAdminKey: (k) => keys.isAdmin(k) });
});
afterAll(async () => {
  await gw?.close();
  await vendor?.close();
  rmSync(dir, { recursive: true, force: true });
});

const state = (key: string) => fetch(`${gw.url}/v1/tollgate/state`, { headers: { authorization: `Bearer ${key}` } });

describe('GET /v1/tollgate/state', () => {
  it('needs an admin key: none → 401, a tenant key → 403', async () => {
    expect((await fetch(`${gw.url}/v1/tollgate/state`)).status).toBe(401);
    const r = await state(tenantKey);
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('admin_key_required');
  });

  it("shows each model's breaker and each tenant's guard as requests move them", async () => {
    const before = (await (await state(adminKey)).json()) as TollgateState & { object: string };
    expect(before).toMatchObject({ object: 'tollgate.state', at: t, tenants: [] });
    expect(before.models).toEqual([
      { model: 'flaky', state: 'closed', failures: 0, trialInFlight: false },
      { model: 'backup', state: 'closed', failures: 0, trialInFlight: false },
    ]);
    const chat = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenantKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(chat.status).toBe(200);
    const after = (await (await state(adminKey)).json()) as TollgateState;
    expect(after.models[0]).toEqual({ model: 'flaky', state: 'open', failures: 1, openUntil: t + 30_000, trialInFlight: false });
    expect(after.models[1]!.state).toBe('closed');
    expect(after.tenants).toEqual([{ tenant: 'acme', state: 'warned', since: t, lastAt: t, lastAction: 'warn', resetAt: Date.UTC(2026, 4, 5), transitions: 1 }]);
  });
});
