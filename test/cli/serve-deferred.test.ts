import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../compose.js';
import { fullCost } from '../../engine/cost.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import { addKey } from '../../gateway/api-keys.js';
import { readDecisionLog } from '../../offline/reporting/decision-log-reader.js';
import type { PolicyInput } from '../../policies/schema.js';
import { FakeBatchVendor } from '../adapters/batch/batch-fake-vendor.js';
import { deferPolicy } from '../engine/deferrable-fixtures.js';

/**
 * `tollgate serve --deferred` itself (a child process, `node --import jiti/register cli/main.ts serve`; its
 * start takes a while under jiti) against the fake batch vendor (both protocols): a request with
 * `Tollgate-Deferrable` and one a `defer` rule routes are answered 202 and go to the vendors' batch APIs; the
 * process is SIGKILLed while both batches are in progress; a restart on the same `<log>.deferred/` resumes
 * polling, creates no batch twice, and delivers each result once at the batch price with one decision
 * record; a client batch (/v1/files + /v1/batches) then goes through the vendor batch API too.
 */

const ROOT = join(import.meta.dirname, '..', '..');
let vendor: FakeBatchVendor;
let dir: string;
let policyPath: string;
let keysPath: string;
let logPath: string;
let key: string;
const children: ChildProcess[] = [];

/** The fixture policy with each vendor model's key in an environment variable (the fake checks both). */
function policy(url: string): PolicyInput {
  const p = deferPolicy(url);
  return { ...p, models: p.models.map((m) => (m.id === 'gpt-4o-mini' ? { ...m, apiKeyEnv: 'TG_TEST_OPENAI_KEY' } : m.id === 'claude-haiku' ? { ...m, apiKeyEnv: 'TG_TEST_ANTHROPIC_KEY' } : m)) };
}

beforeAll(async () => {
  vendor = await new FakeBatchVendor().start();
  vendor.completeAfterPolls = 1e9; // in progress until the test lets it finish
  dir = mkdtempSync(join(tmpdir(), 'tg-serve-deferred-'));
  policyPath = join(dir, 'policy.json');
  keysPath = join(dir, 'keys.json');
  logPath = join(dir, 'decisions.jsonl');
  writeFileSync(policyPath, JSON.stringify(policy(vendor.url)));
  key = addKey(keysPath, 'acme');
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await vendor?.close();
  rmSync(dir, { recursive: true, force: true });
});

function serve(extra: string[] = []): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const args = ['--import', 'jiti/register', 'cli/main.ts', 'serve', '--policy', policyPath, '--port', '0', '--keys', keysPath, '--log', logPath, '--deferred', '--batch-max-age', '0s', '--batch-poll', '50ms', ...extra];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, TG_TEST_OPENAI_KEY: 'sk-test', TG_TEST_ANTHROPIC_KEY: 'sk-ant-test' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, out: () => out + err });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => reject(new Error(`serve exited early (${code ?? signal}): ${err}`)));
  });
}

const stop = (c: ChildProcess, signal: NodeJS.Signals) =>
  new Promise<number | null>((resolve) => {
    c.once('exit', (code) => resolve(code));
    c.kill(signal);
  });

async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not reached: ${what}`);
}

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Write the weekly digest for the whole team.' }], max_tokens: 64 };
const post = (url: string, body: unknown, headers: Record<string, string>) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const get = (url: string, path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });

async function records(): Promise<DecisionRecord[]> {
  const out: DecisionRecord[] = [];
  for await (const r of readDecisionLog(logPath, { skipInvalid: true })) out.push(r);
  return out;
}

/** A model's list price for a record's tokens (the batch price is half of it). */
function listPrice(model: string, r: DecisionRecord): number {
  const basis = createTollgate({ policy: deferPolicy('http://127.0.0.1:1') }).policy.byId.get(model)!.basis;
  return fullCost(basis, { inputTokens: r.tokens.input, outputTokens: r.tokens.output, cachedInputTokens: 0 }).full;
}

describe('tollgate serve --deferred', () => {
  it('202 for deferrable work; SIGKILL while the vendor batches run; the restart resumes them: no batch created twice, each result once at the batch price', async () => {
    let s = await serve();
    expect(s.out()).toContain('deferred openai+anthropic batches');
    const a = await post(s.url, chat, { 'tollgate-deferrable': '24h', 'x-request-id': 'sd-header' });
    expect(a.status).toBe(202);
    expect(await a.json()).toMatchObject({ id: 'sd-header', status: 'pending', model: 'gpt-4o-mini', result_url: '/v1/tollgate/deferred/sd-header' });
    const b = await post(s.url, { ...chat, model: 'auto' }, { 'x-tollgate-tags': 'nightly', 'x-request-id': 'sd-rule' });
    expect(b.status).toBe(202);
    expect(await b.json()).toMatchObject({ id: 'sd-rule', model: 'claude-haiku' });

    await until('both batches created and polled', () => vendor.creates === 2 && vendor.batches.every((x) => x.polls > 0));
    const store = JSON.parse(readFileSync(join(`${logPath}.deferred`, 'jobs.json'), 'utf8')) as { state: string }[];
    expect(store.map((j) => j.state)).toEqual(['in_progress', 'in_progress']);
    expect((await get(s.url, '/v1/tollgate/deferred/sd-header')).status).toBe(202);
    s.child.kill('SIGKILL');
    await new Promise((r) => s.child.once('exit', r));
    expect((await records()).filter((r) => r.requestId?.startsWith('sd-'))).toEqual([]);

    vendor.completeAfterPolls = 1; // the next poll finds each batch completed
    s = await serve();
    try {
      const results: Record<string, { status: string; cost_micros: number; response: { choices: { message: { content: string } }[] } }> = {};
      for (const id of ['sd-header', 'sd-rule']) {
        await until(`${id} settled`, async () => {
          const res = await get(s.url, `/v1/tollgate/deferred/${id}`);
          if (res.status === 202) return false;
          expect(res.status).toBe(200);
          results[id] = (await res.json()) as (typeof results)[string];
          return true;
        });
      }
      expect(vendor.creates).toBe(2); // resumed by its vendor batch id, never submitted again
      expect(results['sd-header']).toMatchObject({ status: 'completed' });
      expect(results['sd-header']!.response.choices[0]!.message.content).toBe('batch answer to sd-header (gpt-4o-mini)');
      expect(results['sd-rule']!.response.choices[0]!.message.content).toBe('batch answer to sd-rule (claude-haiku-4-5)');
      const logged = (await records()).filter((r) => r.requestId?.startsWith('sd-'));
      expect(logged.map((r) => r.requestId).sort()).toEqual(['sd-header', 'sd-rule']); // one record each
      for (const r of logged) {
        expect(r).toMatchObject({ outcome: 'ok', tenant: 'acme' });
        expect(results[r.requestId!]!.cost_micros).toBe(r.cost.full);
        expect(Math.abs(r.cost.full - listPrice(r.model!, r) / 2)).toBeLessThanOrEqual(1); // batch price: half the list price
      }

      // A client batch (OpenAI format) goes through the vendor batch API too (batches: { defer: true }).
      const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: key, maxRetries: 0 });
      const jsonl = ['cb-0', 'cb-1', 'cb-2'].map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `line ${id}` }], max_tokens: 8 } })).join('\n');
      const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'in.jsonl'), purpose: 'batch' });
      const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      let done: OpenAI.Batch = batch;
      await until('client batch ended', async () => ['completed', 'failed', 'expired'].includes((done = await client.batches.retrieve(batch.id)).status));
      expect(done).toMatchObject({ status: 'completed', request_counts: { total: 3, completed: 3, failed: 0 } });
      expect(vendor.batches.slice(2).flatMap((x) => x.lines)).toHaveLength(3); // each line sent once, through the vendor batch API
      const out = (await (await client.files.content(done.output_file_id!)).text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { custom_id: string; response: { body: { choices: { message: { content: string } }[] } } });
      expect(out.map((l) => l.custom_id).sort()).toEqual(['cb-0', 'cb-1', 'cb-2']);
      expect(out[0]!.response.body.choices[0]!.message.content).toMatch(/^batch answer to /);
    } finally {
      expect(await stop(s.child, 'SIGTERM')).toBe(0);
    }
  }, 400_000);
});
