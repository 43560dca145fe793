import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey } from '../../gateway/api-keys.js';
import { readDecisionLog } from '../../offline/reporting/decision-log-reader.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

/**
 * Client batches against `tollgate serve` itself (`node --import jiti/register cli/main.ts serve`, a child
 * process; its start takes a while under jiti): `--files-limit` gives the 413, batch state lives in
 * `<log>.batches/`, and a batch in progress survives a SIGKILL (nothing lost, no line twice in the output).
 * A clean stop (SIGTERM: the gateway's close) is test/gateway/client-batches.test.ts's restart case.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const UPSTREAM_KEY = 'sk-upstream-batch-serve-123';
let vendor: FakeVendor;
let dir: string;
let policyPath: string;
let keysPath: string;
let logPath: string;
let key: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  vendor = await startFakeVendor({ apiKey: UPSTREAM_KEY, latencyMs: 20 });
  dir = mkdtempSync(join(tmpdir(), 'tg-batch-serve-'));
  policyPath = join(dir, 'policy.json');
  keysPath = join(dir, 'keys.json');
  logPath = join(dir, 'decisions.jsonl');
  writeFileSync(policyPath, JSON.stringify(httpPolicy(vendor.url, { primary: 'ok' })));
  key = addKey(keysPath, 'acme');
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await vendor.close();
  rmSync(dir, { recursive: true, force: true });
});

function serve(): Promise<{ child: ChildProcess; client: OpenAI }> {
  const args = ['--import', 'jiti/register', 'cli/main.ts', 'serve', '--policy', policyPath, '--port', '0', '--keys', keysPath, '--log', logPath, '--files-limit', '8192'];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, TOLLGATE_TEST_KEY: UPSTREAM_KEY }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ child, client: new OpenAI({ baseURL: `${m[1]}/v1`, apiKey: key, maxRetries: 0 }) });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => reject(new Error(`serve exited early (${code ?? signal}): ${err}`)));
  });
}

const stop = (c: ChildProcess, signal: NodeJS.Signals) => new Promise<number | null>((resolve) => {
  c.once('exit', (code) => resolve(code));
  c.kill(signal);
});

const jsonl = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `${prefix}-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'auto', messages: [{ role: 'user', content: `${prefix} line ${i}` }], max_tokens: 8 } })).join('\n');

async function waitFor(client: OpenAI, id: string, done: (b: OpenAI.Batch) => boolean): Promise<OpenAI.Batch> {
  for (let i = 0; i < 3000; i++) {
    const b = await client.batches.retrieve(id);
    if (done(b)) return b;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`batch ${id}: condition not reached`);
}

const ended = (b: OpenAI.Batch) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status);

describe('client batches on tollgate serve', () => {
  it('keeps batches in <log>.batches/ across a SIGKILL: every line once in the output, nothing lost', async () => {
    let s = await serve();
    const big = await s.client.files.create({ file: await toFile(Buffer.from(jsonl('big', 100)), 'big.jsonl'), purpose: 'batch' }).catch((e: unknown) => e);
    expect(big).toMatchObject({ status: 413 });
    expect((big as Error).message).toContain('8192');

    const N = 40;
    const calls0 = vendor.count('/v1/chat/completions');
    const b = await s.client.batches.create({ input_file_id: (await s.client.files.create({ file: await toFile(Buffer.from(jsonl('b', N)), 'b.jsonl'), purpose: 'batch' })).id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(existsSync(join(`${logPath}.batches`, 'batches', `${b.id}.json`))).toBe(true);
    await waitFor(s.client, b.id, (x) => x.request_counts!.completed >= 5);
    s.child.kill('SIGKILL');
    await new Promise((r) => s.child.once('exit', r));
    expect(vendor.count('/v1/chat/completions') - calls0).toBeLessThan(N);

    s = await serve();
    try {
      const done = await waitFor(s.client, b.id, ended);
      expect(done.status).toBe('completed');
      expect(done.request_counts).toEqual({ total: N, completed: N, failed: 0 });
      const out = (await (await s.client.files.content(done.output_file_id!)).text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(out.map((l) => l.custom_id).sort()).toEqual(Array.from({ length: N }, (_, i) => `b-${i}`).sort()); // each line once
      const calls = vendor.count('/v1/chat/completions') - calls0;
      expect(calls).toBeGreaterThanOrEqual(N);
      expect(calls).toBeLessThanOrEqual(N + 4); // run again: at most the lines in flight at the kill (concurrency 4)
    } finally {
      expect(await stop(s.child, 'SIGTERM')).toBe(0);
    }
    const logged = new Set<string>();
    for await (const r of readDecisionLog(logPath, { skipInvalid: true })) if (r.requestId?.startsWith(b.id)) logged.add(r.requestId);
    expect(logged.size).toBe(N); // every line has its decision record
  }, 300_000);
});
