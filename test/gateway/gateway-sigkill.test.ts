import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, KeyStore } from '../../gateway/api-keys.js';
import { startGateway } from '../../gateway/server.js';
import { createTollgate } from '../../compose.js';
import { readDecisionLog } from '../../offline/reporting/decision-log-reader.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

/**
 * Durability: the gateway runs as a child process (`node --import jiti/register cli/main.ts serve`, no
 * build), takes a load of 2,000 requests (50 in flight, client-chosen `x-request-id`s), is SIGKILLed
 * after 400 answers, restarts on the same decision log — and every request whose response reached the
 * client is in the log, exactly once.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const UPSTREAM_KEY = 'sk-upstream-sigkill-123456';
const TOTAL = 2000;
const IN_FLIGHT = 50;
const KILL_AFTER = 400;

let vendor: FakeVendor;
let dir: string;
let policyPath: string;
let keysPath: string;
let key: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  vendor = await startFakeVendor({ apiKey: UPSTREAM_KEY });
  dir = mkdtempSync(join(tmpdir(), 'tg-kill-'));
  policyPath = join(dir, 'policy.json');
  keysPath = join(dir, 'keys.json');
  writeFileSync(policyPath, JSON.stringify(httpPolicy(vendor.url, { primary: 'ok' }, { retry: { maxAttempts: 1, timeoutMs: 5000 } })));
  key = addKey(keysPath, 'acme');
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await vendor.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `tollgate serve` as a child process on an ephemeral port; resolves with its URL. */
function startChild(durability: string, logPath: string): Promise<{ child: ChildProcess; port: number }> {
  process.env.TOLLGATE_TEST_KEY = UPSTREAM_KEY;
  const args = ['--import', 'jiti/register', 'cli/main.ts', 'serve', '--policy', policyPath, '--port', '0', '--keys', keysPath, '--log', logPath, '--durability', durability];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, TOLLGATE_TEST_KEY: UPSTREAM_KEY }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => reject(new Error(`gateway exited early (${code ?? signal}): ${err}`)));
  });
}

type Outcome = { id: string; status: number; echoed: string | undefined } | { id: string; error: string };

/** One POST with a client-chosen request id; an outcome with `status` means the whole response arrived. */
function send(port: number, agent: Agent, id: string): Promise<Outcome> {
  const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: `load request ${id}` }], max_tokens: 16 });
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': id } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ id, status: res.statusCode!, echoed: res.headers['x-tollgate-request-id'] as string | undefined }));
        res.on('error', (e) => resolve({ id, error: e.message }));
      },
    );
    req.on('error', (e) => resolve({ id, error: e.message }));
    req.end(body);
  });
}

// `write` (the default: answer after write(2)) and `fsync` (answer after fdatasync) both survive a SIGKILL.
describe.each(['write', 'fsync'])('gateway durability under SIGKILL (--durability %s)', (durability) => {
  it('has every acknowledged request in the decision log after a SIGKILL mid-load and a restart', async () => {
    const logPath = join(dir, `decisions-${durability}.jsonl`);
    const first = await startChild(durability, logPath);
    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const outcomes: Outcome[] = [];
    let next = 0;
    let acked = 0;
    let killedAt = -1;
    const worker = async (): Promise<void> => {
      while (next < TOTAL) {
        const id = `kill-${next++}`;
        const o = await send(first.port, agent, id);
        outcomes.push(o);
        if ('status' in o && ++acked === KILL_AFTER) {
          killedAt = outcomes.length;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    agent.destroy();
    expect(killedAt).toBeGreaterThan(0);
    expect(first.child.signalCode ?? (await new Promise((r) => first.child.once('exit', (_c, s) => r(s))))).toBe('SIGKILL');

    const answered = outcomes.filter((o): o is Extract<Outcome, { status: number }> => 'status' in o);
    const failed = outcomes.filter((o) => 'error' in o);
    expect(outcomes.length).toBe(TOTAL);
    expect(answered.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(failed.length).toBeGreaterThan(0); // the kill really happened mid-load
    for (const o of answered) {
      expect(o.status).toBe(200);
      expect(o.echoed).toBe(o.id);
    }

    // Restart on the same log (in process: the same serve wiring, no second cold start); it repairs
    // any torn tail the kill left and keeps appending.
    const keys = new KeyStore(keysPath);
    const second = await startGateway({ tollgate: createTollgate({ policy: policyPath, decisionLog: logPath }), tenantForKey: (k) => keys.tenantFor(k) });
    const agent2 = new Agent({ keepAlive: true, maxSockets: 10 });
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => send(second.port, agent2, `after-${i}`)));
    agent2.destroy();
    expect(after.every((o) => 'status' in o && o.status === 200)).toBe(true);
    await second.close();

    const torn: number[] = [];
    const ids: string[] = [];
    for await (const r of readDecisionLog(logPath, { onIssue: (i) => torn.push(i.line) })) ids.push(r.requestId);
    const logged = new Set(ids);
    expect(logged.size).toBe(ids.length); // nothing recorded twice
    const missing = answered.filter((o) => !logged.has(o.id)).map((o) => o.id);
    expect(missing).toEqual([]);
    for (const o of after) expect(logged.has(o.id)).toBe(true);
    expect(torn).toEqual([]); // the restart repaired any torn tail before appending
    // Logged but unanswered (in flight at the kill) is allowed; answered but not logged is not.
    console.log(`sigkill (${durability}): ${answered.length} answered before the kill, ${failed.length} failed, ${ids.length - after.length} logged before the restart`);
  }, 90_000);
});
