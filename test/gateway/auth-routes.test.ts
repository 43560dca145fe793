import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, type Harness, startHarness } from './harness.js';

/** Every registered route, from fastify's own route table (`printRoutes`), as `[method, url]`. */
function registeredRoutes(h: Harness): [string, string][] {
  const out: [string, string][] = [];
  for (const line of h.gw.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /(\/\S*) \(([A-Z, ]+)\)/.exec(line);
    if (m) for (const method of m[2]!.split(',').map((s) => s.trim())) out.push([method, m[1]!]);
  }
  return out;
}

/** Spellings of one path that a router may decode or normalise to it. */
function variants(path: string): string[] {
  const encodeFirst = (p: string) => p.replace(/[a-z0-9]/i, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const segs = path.split('/').filter(Boolean);
  const encodedEachSegment = '/' + segs.map((s) => encodeFirst(s)).join('/');
  return [path, encodeFirst(path), encodedEachSegment, `/${path}`, path.replace(/\//g, '//'), `${path}?x=1`, `${path}/`, path.replace(/[a-z]/, (c) => c.toUpperCase())];
}

describe('gateway auth runs on the matched route, not the raw URL (#14 item 5)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ primary: 'ok' });
  });
  afterAll(() => h.close());

  it('lists the gateway routes and each declares its auth', () => {
    const routes = registeredRoutes(h);
    expect(routes.map(([m, u]) => `${m} ${u}`)).toEqual(expect.arrayContaining(['POST /v1/chat/completions', 'GET /v1/models', 'GET /healthz', 'GET /metrics']));
  });

  it('percent-encoded /v%31/models without a key is a 401, not the model list', async () => {
    const r = await fetch(`${h.gw.url}/v%31/models`);
    expect(r.status).toBe(401);
    const c = await fetch(`${h.gw.url}/%761/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask('hi')) });
    expect(c.status).toBe(401);
    expect(h.vendor.count()).toBe(0);
  });

  it('walks every route and its encoded and double-slashed spellings, with and without a key', async () => {
    const routes = registeredRoutes(h);
    const publicRoutes = new Set(['/healthz', '/metrics']);
    let checked = 0;
    for (const [method, url] of routes) {
      if (method === 'OPTIONS') continue;
      for (const path of variants(url)) {
        const body = method === 'POST' ? JSON.stringify(ask('walk')) : undefined;
        const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
        const anon = await fetch(`${h.gw.url}${path}`, { method, headers, body });
        const anonText = await anon.text();
        // Without a key: 401 on a key route whatever the spelling, 404 where nothing matched, never the resource.
        if (publicRoutes.has(url)) expect([200, 404], `${method} ${path}`).toContain(anon.status);
        else {
          expect([401, 404], `${method} ${path} without a key answered ${anon.status}: ${anonText.slice(0, 120)}`).toContain(anon.status);
          expect(anonText).not.toContain('"object":"list"');
        }
        const keyed = await fetch(`${h.gw.url}${path}`, { method, headers: { ...headers, authorization: `Bearer ${h.key}` }, body });
        await keyed.text();
        expect(keyed.status, `${method} ${path} with a key`).not.toBe(401);
        const xKey = await fetch(`${h.gw.url}${path}`, { method, headers: { ...headers, 'x-api-key': h.key }, body });
        await xKey.text();
        expect(xKey.status, `${method} ${path} with x-api-key`).not.toBe(401);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4 * 8);
    // Only keyed chat calls reached the vendor.
    const anonChat = h.vendor.requests.filter((r) => r.body && (r.body as { messages?: { content: string }[] }).messages?.[0]?.content === 'walk');
    expect(anonChat.length).toBe(h.sink!.records.filter((r) => r.outcome === 'ok').length);
  });

  it('an unknown route is a 404 in OpenAI shape with or without a key, and does not echo a long path', async () => {
    for (const headers of [{}, { authorization: `Bearer ${h.key}` }] as Record<string, string>[]) {
      const r = await fetch(`${h.gw.url}/v1/${'x'.repeat(5000)}`, { headers });
      expect(r.status).toBe(404);
      const j = (await r.json()) as { error: { code: string; message: string } };
      expect(j.error.code).toBe('not_found');
      expect(j.error.message.length).toBeLessThan(300);
    }
  });

  it('refuses to start with a route that declares no auth', async () => {
    const { buildGateway } = await import('../../gateway/server.js');
    const app = buildGateway({ tollgate: h.tollgate, tenantForKey: () => undefined });
    expect(() => app.get('/v1/secret', async () => 'secret')).toThrow(/declares no config.auth/);
    await app.close().catch(() => undefined);
  });
});
