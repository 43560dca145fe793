import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { addKey, KeyStore } from '../../gateway/api-keys.js';
import { type RunningGateway, startGateway } from '../../gateway/server.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import { readDecisionLog } from '../../offline/reporting/decision-log-reader.js';
import { type FakeVendor, fakeAnswerText, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

/**
 * Client batches: the official openai client uploads a JSONL file to `/v1/files`, creates a batch on
 * `/v1/batches`, polls it and downloads its output and error files, against the real gateway (as
 * `tollgate serve` starts it: JSONL decision log, batch state next to it) in front of a fake vendor.
 */

const UPSTREAM_KEY = 'sk-upstream-batches-123456';
const FILES_LIMIT = 64 * 1024;

let vendor: FakeVendor;
let dir: string;
let logPath: string;
let keys: KeyStore;
let acmeKey: string;
let poorKey: string;

interface Running {
  gw: RunningGateway;
  client: OpenAI;
  as(key: string): OpenAI;
}

async function start(o: { concurrency?: number } = {}): Promise<Running> {
  const policy = httpPolicy(vendor.url, { primary: 'ok', backup: 'ok' }, { tenants: { poor: { budgets: [{ window: 'month', usd: 0.0001 }] } } });
  const tollgate = createTollgate({ policy, decisionLog: logPath });
  const gw = await startGateway({ tollgate, tenantForKey: (k) => keys.tenantFor(k), batches: { dir: `${logPath}.batches`, filesLimit: FILES_LIMIT, concurrency: o.concurrency } });
  const as = (key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  return { gw, client: as(acmeKey), as };
}

const ask = (customId: string, content: string, extra: Record<string, unknown> = {}) =>
  ({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model: 'auto', messages: [{ role: 'user', content }], max_tokens: 16, ...extra } });
const jsonl = (lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

async function upload(client: OpenAI, text: string, name = 'input.jsonl') {
  return client.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'batch' });
}

async function finished(client: OpenAI, id: string): Promise<OpenAI.Batch> {
  for (let i = 0; i < 2000; i++) {
    const b = await client.batches.retrieve(id);
    if (['completed', 'failed', 'cancelled', 'expired'].includes(b.status)) return b;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`batch ${id} did not finish`);
}

async function linesOf(client: OpenAI, fileId: string | undefined | null): Promise<any[]> {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function records(): Promise<Map<string, DecisionRecord>> {
  const out = new Map<string, DecisionRecord>();
  for await (const r of readDecisionLog(logPath, { skipInvalid: true })) if (typeof (r as { requestId?: unknown }).requestId === 'string') out.set(r.requestId, r);
  return out;
}

beforeAll(async () => {
  process.env.TOLLGATE_TEST_KEY = UPSTREAM_KEY;
  vendor = await startFakeVendor({ apiKey: UPSTREAM_KEY });
  dir = mkdtempSync(join(tmpdir(), 'tg-batches-'));
  logPath = join(dir, 'decisions.jsonl');
  const keysPath = join(dir, 'keys.json');
  acmeKey = addKey(keysPath, 'acme');
  poorKey = addKey(keysPath, 'poor');
  keys = new KeyStore(keysPath);
});
afterAll(async () => {
  await vendor.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('client batches with the official openai client', () => {
  let s: Running;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(() => s.gw.close());

  it('runs every line through the engine: output lines in OpenAI batch format, bad lines in the error file naming their field', async () => {
    const prompts = ['Name three primes.', 'What is 2+2?', 'Say hi.', 'Name a colour.'];
    const file = await upload(s.client, jsonl([
      ask('good-0', prompts[0]!), ask('good-1', prompts[1]!),
      { custom_id: 'no-messages', method: 'POST', url: '/v1/chat/completions', body: { model: 'auto' } },
      ask('good-2', prompts[2]!),
      { ...ask('bad-method', 'x'), method: 'GET' },
      ask('unknown-model', 'x', { model: 'gpt-nope' }),
      ask('good-3', prompts[3]!),
      ask('good-0', 'a duplicate id'),
    ]));
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'input.jsonl', status: 'processed' });
    expect((await s.client.files.retrieve(file.id)).bytes).toBe(file.bytes);
    const before = vendor.count('/v1/chat/completions');
    const created = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { job: 'nightly' } });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { job: 'nightly' } });

    const b = await finished(s.client, created.id);
    expect(b.status).toBe('completed');
    expect(b.request_counts).toEqual({ total: 8, completed: 4, failed: 4 });
    for (const t of ['in_progress_at', 'finalizing_at', 'completed_at'] as const) expect(b[t]).toBeGreaterThanOrEqual(b.created_at);
    expect(vendor.count('/v1/chat/completions') - before).toBe(4); // invalid lines called no model

    const logged = await records();
    const out = await linesOf(s.client, b.output_file_id);
    expect(out.map((l) => l.custom_id).sort()).toEqual(['good-0', 'good-1', 'good-2', 'good-3']);
    let tokens = 0;
    for (const l of out) {
      expect(l).toMatchObject({ id: expect.stringMatching(/^batch_req_/), error: null, response: { status_code: 200, body: { object: 'chat.completion' } } });
      const i = Number(l.custom_id.slice('good-'.length));
      expect(l.response.body.choices[0].message.content).toBe(fakeAnswerText(prompts[i]!));
      const rec = logged.get(l.response.request_id)!;
      expect(rec, `decision record for ${l.response.request_id}`).toBeDefined();
      expect(rec).toMatchObject({ tenant: 'acme', outcome: 'ok', model: 'primary' });
      expect(l.response.body.usage.completion_tokens).toBe(rec.tokens.output);
      tokens += rec.tokens.input + rec.tokens.output;
    }
    expect(b.usage?.total_tokens).toBe(tokens);

    const errs = await linesOf(s.client, b.error_file_id);
    const byId = Object.fromEntries(errs.map((l) => [l.custom_id ?? `line-${l.error.line}`, l]));
    expect(errs).toHaveLength(4);
    expect(byId['no-messages']).toMatchObject({ response: null, error: { code: 'invalid_request', param: 'body.messages', line: 3 } });
    expect(byId['bad-method']).toMatchObject({ response: null, error: { code: 'invalid_request', param: 'method', line: 5 } });
    expect(errs.find((l) => l.error.param === 'custom_id')).toMatchObject({ custom_id: 'good-0', error: { code: 'invalid_request', line: 8 } });
    expect(byId['unknown-model']).toMatchObject({ response: { status_code: 404, body: { error: { code: 'model_not_found', param: 'body.model' } } }, error: { code: 'model_not_found' } });
    expect(logged.get(byId['unknown-model'].response.request_id)).toMatchObject({ tenant: 'acme', outcome: 'error' });
  });

  it('ends over-budget lines as error lines with budget_exceeded; every line that reached the engine has its decision record', async () => {
    const poor = s.as(poorKey);
    const file = await upload(poor, jsonl(Array.from({ length: 8 }, (_, i) => ask(`p-${i}`, `Budget line ${i}: tell me a long story about the sea.`))));
    const b = await finished(poor, (await poor.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    expect(b.status).toBe('completed');
    expect(b.request_counts!.total).toBe(8);
    expect(b.request_counts!.completed + b.request_counts!.failed).toBe(8);
    expect(b.request_counts!.completed).toBeGreaterThan(0);
    const errs = await linesOf(poor, b.error_file_id);
    expect(errs.length).toBe(b.request_counts!.failed);
    expect(errs.length).toBeGreaterThan(0);
    const logged = await records();
    for (const l of errs) {
      expect(l).toMatchObject({ response: { status_code: 429, body: { error: { code: 'budget_exceeded', type: 'insufficient_quota' } } }, error: { code: 'budget_exceeded' } });
      expect(logged.get(l.response.request_id)).toMatchObject({ tenant: 'poor', outcome: 'refused' });
    }
    for (const l of await linesOf(poor, b.output_file_id)) expect(logged.get(l.response.request_id)).toMatchObject({ tenant: 'poor', outcome: 'ok' });
  });

  it('refuses a file that is not JSONL with a 400 naming the line, and an upload over the files limit with a 413 naming the limit', async () => {
    const bad = await upload(s.client, `${JSON.stringify(ask('a', 'x'))}\n{"custom_id": "b", oops\n`).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.APIError>).message).toContain('line 2');
    expect((bad as InstanceType<typeof OpenAI.APIError>).param).toBe('file');
    const big = await upload(s.client, jsonl(Array.from({ length: 1000 }, (_, i) => ask(`b-${i}`, 'x'.repeat(100))))).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(OpenAI.APIError);
    expect((big as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
    expect((big as InstanceType<typeof OpenAI.APIError>).message).toContain(String(FILES_LIMIT));
    const other = await s.client.files.create({ file: await toFile(Buffer.from(jsonl([ask('a', 'x')])), 'x.jsonl'), purpose: 'fine-tune' }).catch((e: unknown) => e);
    expect(other).toMatchObject({ status: 400, param: 'purpose' });
  });

  it('refuses a batch body it does not carry with a 400 naming the field', async () => {
    const file = await upload(s.client, jsonl([ask('a', 'x')]));
    const endpoint = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h' }).catch((e: unknown) => e);
    expect(endpoint).toMatchObject({ status: 400, param: 'endpoint' });
    // A body that is not JSON is the gateway's 415, as on every other route (not a scope-local 400).
    const plain = await fetch(`${s.gw.url}/v1/batches`, { method: 'POST', headers: { authorization: `Bearer ${acmeKey}`, 'content-type': 'text/plain' }, body: 'hello' });
    expect(plain.status).toBe(415);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    const window = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '1h' as '24h' }).catch((e: unknown) => e);
    expect(window).toMatchObject({ status: 400, param: 'completion_window' });
    const expiry = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', output_expires_after: { anchor: 'created_at', seconds: 3600 } }).catch((e: unknown) => e);
    expect(expiry).toMatchObject({ status: 400, param: 'output_expires_after' });
    const missing = await s.client.batches.create({ input_file_id: 'file-000000000000000000000000', endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, param: 'input_file_id' });
  });

  it('lists batches and files newest first, and cancels a batch: lines not started end as batch_cancelled error lines', async () => {
    const file = await upload(s.client, jsonl(Array.from({ length: 40 }, (_, i) => ask(`c-${i}`, `Cancel line ${i}`))));
    const created = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const cancelling = await s.client.batches.cancel(created.id);
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    const b = await finished(s.client, created.id);
    expect(b.status).toBe('cancelled');
    expect(b.cancelled_at).toBeGreaterThanOrEqual(b.created_at);
    expect(b.request_counts!.completed + b.request_counts!.failed).toBe(40);
    const errs = await linesOf(s.client, b.error_file_id);
    expect(errs.length).toBe(b.request_counts!.failed);
    expect(errs.length).toBeGreaterThan(0);
    for (const l of errs) expect(l.error.code).toBe('batch_cancelled');
    const ids = [];
    for await (const x of s.client.batches.list({ limit: 1 })) ids.push(x.id);
    expect(ids[0]).toBe(created.id);
    expect(ids).toHaveLength(2); // acme's two batches in this describe (the budget test's is tenant poor's), one page each
    expect(new Set(ids).size).toBe(2);
    const files = [];
    for await (const f of s.client.files.list({ purpose: 'batch' })) files.push(f.id);
    expect(files).toContain(file.id);
    await expect(s.client.files.delete(file.id)).resolves.toMatchObject({ id: file.id, deleted: true });
    await expect(s.client.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
  });
});

describe('client batches survive a restart of the gateway', () => {
  it('retrieves a finished batch and its output after a restart, and resumes one in progress without running a line twice', async () => {
    let s = await start({ concurrency: 1 });
    const done = await finished(s.client, (await s.client.batches.create({ input_file_id: (await upload(s.client, jsonl([ask('r-0', 'Restart me')]))).id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    const doneOut = await (await s.client.files.content(done.output_file_id!)).text();
    vendor.setBehaviour(undefined);
    const N = 30;
    const file = await upload(s.client, jsonl(Array.from({ length: N }, (_, i) => ask(`run-${i}`, `Resume line ${i}`))));
    const before = vendor.count('/v1/chat/completions');
    const created = await s.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    for (let i = 0; i < 500 && (await s.client.batches.retrieve(created.id)).request_counts!.completed < 3; i++) await new Promise((r) => setTimeout(r, 5));
    await s.gw.close(); // lines in flight finish; the rest wait for the next start
    const ranBefore = vendor.count('/v1/chat/completions') - before;

    s = await start({ concurrency: 2 });
    try {
      expect(await s.client.batches.retrieve(done.id)).toEqual(done);
      expect(await (await s.client.files.content(done.output_file_id!)).text()).toBe(doneOut);
      const b = await finished(s.client, created.id);
      expect(b.status).toBe('completed');
      expect(b.request_counts).toEqual({ total: N, completed: N, failed: 0 });
      const out = await linesOf(s.client, b.output_file_id);
      expect(new Set(out.map((l) => l.custom_id)).size).toBe(N);
      expect(vendor.count('/v1/chat/completions') - before).toBe(N); // nothing run twice
      expect(ranBefore).toBeGreaterThan(0);
      expect(ranBefore).toBeLessThan(N);
    } finally {
      await s.gw.close();
    }
  });
});

describe('client batch waits: rate limits and the completion window', () => {
  it('runs a rate-limited line again after its Retry-After instead of failing it', async () => {
    let clock = Date.now();
    const sink = new MemoryDecisionSink();
    const policy = httpPolicy(vendor.url, { primary: 'ok' }, { tenants: { acme: { rateLimit: { requestsPerMinute: 2 } } } });
    const gw = await startGateway({
      tollgate: createTollgate({ policy, decisionLog: sink, clock: () => clock }), tenantForKey: (k) => keys.tenantFor(k),
      batches: { concurrency: 2, sleep: async (ms) => { clock += ms; await new Promise((r) => setImmediate(r)); } },
    });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: acmeKey, maxRetries: 0 });
    try {
      const file = await upload(client, jsonl(Array.from({ length: 6 }, (_, i) => ask(`rl-${i}`, `Rate-limited line ${i}`))));
      const b = await finished(client, (await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
      expect(b.status).toBe('completed');
      expect(b.request_counts).toEqual({ total: 6, completed: 6, failed: 0 });
      const refused = sink.records.filter((r) => r.requestId.startsWith(b.id) && r.outcome === 'refused');
      expect(refused.length).toBeGreaterThan(0); // the limit did refuse tries
      expect(refused.every((r) => r.error?.code === 'rate_limited')).toBe(true);
      for (const l of await linesOf(client, b.output_file_id)) expect(sink.records.some((r) => r.requestId === l.response.request_id && r.outcome === 'ok')).toBe(true);
    } finally {
      await gw.close();
    }
  });


  it('expires a batch whose window passes: lines not run end as batch_expired error lines', async () => {
    let now = Date.now();
    const policy = httpPolicy(vendor.url, { primary: 'ok' });
    const gw = await startGateway({ tollgate: createTollgate({ policy }), tenantForKey: (k) => keys.tenantFor(k), batches: { concurrency: 1, now: () => now } });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: acmeKey, maxRetries: 0 });
    try {
      const file = await upload(client, jsonl(Array.from({ length: 30 }, (_, i) => ask(`e-${i}`, `Expiring line ${i}`))));
      const created = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      expect(created.expires_at).toBe(created.created_at + 24 * 3600);
      for (let i = 0; i < 500 && (await client.batches.retrieve(created.id)).request_counts!.completed < 2; i++) await new Promise((r) => setTimeout(r, 5));
      now += 24 * 3_600_000; // the window passes
      const b = await finished(client, created.id);
      expect(b.status).toBe('expired');
      expect(b.expired_at).toBeGreaterThanOrEqual(created.expires_at!);
      expect(b.request_counts!.completed).toBeGreaterThanOrEqual(2);
      expect(b.request_counts!.completed + b.request_counts!.failed).toBe(30);
      const errs = await linesOf(client, b.error_file_id);
      expect(errs).toHaveLength(b.request_counts!.failed);
      for (const l of errs) expect(l).toMatchObject({ response: null, error: { code: 'batch_expired' } });
      expect((await linesOf(client, b.output_file_id)).length).toBe(b.request_counts!.completed);
    } finally {
      await gw.close();
    }
  });
});
