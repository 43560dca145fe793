import { request as httpRequest } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlayground, type PlaygroundServer } from '../../playground/server/index.js';

let server: PlaygroundServer;
const url = (p: string): string => new URL(p, server.url).toString();
const post = (p: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(url(p), { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const alive = async (): Promise<void> => {
  const r = await fetch(url('/api/health'));
  expect(r.status).toBe(200);
  expect((await r.json()).ok).toBe(true);
};

beforeAll(async () => {
  // An empty dist folder: the API must work without the built page.
  server = await startPlayground({ port: 0, distDir: await mkdtemp(join(tmpdir(), 'pg-nodist-')), bodyLimit: 64 * 1024, uploadLimit: 256 * 1024 });
});
afterAll(async () => server?.close());

describe('playground server: policies', () => {
  it('lists the bundled examples as editable text, the .ts one as YAML', async () => {
    const r = await (await fetch(url('/api/policies'))).json();
    expect(r.policies.map((p: { name: string }) => p.name)).toEqual(['all-vendor', 'cost-aware', 'quality-first', 'self-hosted-fleet']);
    const ca = r.policies.find((p: { name: string }) => p.name === 'cost-aware');
    expect(ca.format).toBe('yaml');
    const v = await (await post('/api/policies/validate', { text: ca.text })).json();
    expect(v).toMatchObject({ ok: true, name: 'cost-aware', models: 4, rules: 3 });
  });

  it('validates JSON and YAML text and reports field paths from the zod schema', async () => {
    const yaml = 'name: x\nmodels:\n  - id: a\n    tier: vendor\n    adapter: simulated\n    quality: 7\nrules: []\n';
    const bad = await (await post('/api/policies/validate', { text: yaml })).json();
    expect(bad.ok).toBe(false);
    expect(bad.issues.map((i: { path: string }) => i.path)).toContain('models[0].quality');
    const json = await (await post('/api/policies/validate', { text: '{"name": "x", "models": [], "rules": [' })).json();
    expect(json.ok).toBe(false);
    expect(json.issues[0].message).toMatch(/cannot parse JSON/);
    const unknownModel = await (await post('/api/policies/validate', { text: (await (await fetch(url('/api/policies/all-vendor'))).json()).text.replace('models: [gpt-4o]', 'models: [gpt-5-nope]') })).json();
    expect(unknownModel.issues).toContainEqual({ path: 'rules[0].models[0]', message: 'unknown model "gpt-5-nope"' });
  });
});

describe('playground server: traces', () => {
  it('reports the line numbers of malformed rows in an uploaded JSONL trace', async () => {
    const good = (i: number) => JSON.stringify({ id: `r${i}`, timestamp: '2024-06-03T00:00:00Z', tenant: 't', promptTokens: 10, outputTokens: 5 });
    const text = [good(1), '{not json', good(3), JSON.stringify({ id: 'r4', timestamp: 'yesterday', tenant: 't', promptTokens: 1 }), '', good(6)].join('\n');
    const r = await post('/api/traces', { name: 'bad.jsonl', text });
    expect(r.status).toBe(201);
    const t = await r.json();
    expect(t).toMatchObject({ requests: 3, skipped: 2, format: 'jsonl' });
    expect(t.issues.map((i: { line: number }) => i.line)).toEqual([2, 4]);
    expect(t.issues[1].reason).toMatch(/yesterday/);
    const listed = (await (await fetch(url('/api/traces'))).json()).traces.map((x: { id: string }) => x.id);
    expect(listed).toContain(t.id);
  });

  it('rejects a trace with no valid row (422, with line numbers) and an unknown format (400)', async () => {
    const r = await post('/api/traces', { text: '{bad\n{worse\n' });
    expect(r.status).toBe(422);
    const body = await r.json();
    expect(body.issues.map((i: { path: string }) => i.path)).toEqual(['line 1', 'line 2']);
    const csv = await post('/api/traces', { text: 'a,b,c\n1,2,3\n' });
    expect(csv.status).toBe(400);
    expect((await csv.json()).error).toBe('trace_format_invalid');
  });

  it('generates a seeded trace with the knobs and validates them', async () => {
    const r = await post('/api/traces/generate', { seed: 7, requests: 300, tenants: 3 });
    expect(r.status).toBe(201);
    const t = await r.json();
    expect(t).toMatchObject({ source: 'generated', requests: 300, skipped: 0 });
    const rows = (await (await fetch(url(`/api/traces/${t.id}/requests?limit=5`))).json()).requests;
    expect(rows).toHaveLength(5);
    const bad = await post('/api/traces/generate', { seed: 7, requests: -1, tenants: 0 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).issues.map((i: { path: string }) => i.path).sort()).toEqual(['requests', 'tenants']);
  });
});

describe('playground server: robustness', () => {
  it('answers 413 to an oversized body and 400 to malformed JSON, then keeps serving', async () => {
    const big = await post('/api/policies/validate', { text: 'x'.repeat(200 * 1024) });
    expect(big.status).toBe(413);
    const bigUpload = await post('/api/traces', { text: 'y'.repeat(400 * 1024) });
    expect(bigUpload.status).toBe(413);
    const malformed = await post('/api/simulate', '{"policies": [');
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error).toBe('malformed_json');
    const wrongShape = await post('/api/simulate', { policies: 'all' });
    expect(wrongShape.status).toBe(400);
    const notJson = await post('/api/policies/validate', 'name: x', { 'content-type': 'text/yaml' });
    expect(notJson.status).toBe(415);
    const unknownTrace = await post('/api/simulate', { policies: [{ example: 'all-vendor' }], traceId: 'nope' });
    expect(unknownTrace.status).toBe(404);
    const badPolicy = await post('/api/simulate', { policies: [{ text: 'name: 3' }] });
    expect(badPolicy.status).toBe(400);
    expect((await badPolicy.json()).issues.length).toBeGreaterThan(0);
    expect((await fetch(url('/%E0%A4%A'))).status).toBe(400);
    await alive();
  });

  it('survives a client that disconnects in the middle of a body and says how to build a missing page', async () => {
    await new Promise<void>((resolve) => {
      const req = httpRequest(url('/api/policies/validate'), { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '5000' } });
      req.on('error', () => resolve());
      req.write('{"text": "abc');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    const page = await fetch(url('/'));
    expect(page.status).toBe(503);
    expect(await page.text()).toMatch(/run npm run build:playground/);
    await alive();
  });
});

describe('playground server: simulation stream', () => {
  it('streams progress and a result, and explains one request', async () => {
    const gen = await (await post('/api/traces/generate', { seed: 3, requests: 400, tenants: 2 })).json();
    const r = await post('/api/simulate', { policies: [{ example: 'all-vendor' }, { example: 'cost-aware' }], traceId: gen.id });
    expect(r.headers.get('content-type')).toMatch(/ndjson/);
    const events = (await r.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0].type).toBe('start');
    const result = events.at(-1);
    expect(result.type).toBe('result');
    expect(result.report.policies.map((p: { name: string }) => p.name)).toEqual(['all-vendor', 'cost-aware']);
    expect(result.report.trace.requests).toBe(400);
    expect(result.compare.find((c: { key: string }) => c.key === 'fullCostMicros').values).toEqual(result.report.policies.map((p: { fullCostMicros: number }) => p.fullCostMicros));
    expect(result.views[1].oncall.records).toBe(400);
    const rows = (await (await fetch(url(`/api/traces/${gen.id}/requests?limit=1`))).json()).requests;
    const ex = await (await post('/api/explain', { policy: { example: 'cost-aware' }, traceId: gen.id, requestId: rows[0].id })).json();
    expect(ex.dryRun.candidates.length).toBeGreaterThan(0);
    expect(ex.dryRun.rule).toBeTypeOf('string');
  });

  it('cancels a run when the client disconnects', async () => {
    const gen = await (await post('/api/traces/generate', { seed: 4, requests: 20_000, tenants: 3 })).json();
    const ctrl = new AbortController();
    const r = await fetch(url('/api/simulate'), { method: 'POST', signal: ctrl.signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ policies: [{ example: 'cost-aware' }], traceId: gen.id }) });
    const reader = r.body!.getReader();
    await reader.read(); // the start event
    ctrl.abort();
    await expect.poll(async () => (await (await fetch(url('/api/health'))).json()).runs, { timeout: 5000 }).toBe(0);
  });
});
