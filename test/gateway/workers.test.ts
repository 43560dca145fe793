import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey } from '../../gateway/api-keys.js';
import { readDecisionLog } from '../../offline/reporting/decision-log-reader.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

/**
 * `tollgate serve --workers 2` (docs/gateway.md, "Workers"): one port, two worker processes, one JSONL log
 * that both append to; 300 requests (20 in flight) are all answered, both workers serve some, and after a
 * SIGTERM to the primary every request is in the log exactly once.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const UPSTREAM_KEY = 'sk-upstream-workers-123456';
const TOTAL = 300;
const IN_FLIGHT = 20;

let vendor: FakeVendor;
let dir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  vendor = await startFakeVendor({ apiKey: UPSTREAM_KEY });
  dir = mkdtempSync(join(tmpdir(), 'tg-workers-'));
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await vendor.close();
  rmSync(dir, { recursive: true, force: true });
});

function send(port: number, agent: Agent, key: string, id: string): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: `worker request ${id}` }], max_tokens: 16 });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': id } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Pids of the primary's children (the workers), from /proc. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const t of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) if (t) out.push(Number(t));
  return out;
}

/** Total CPU ticks a process has used (utime + stime), from /proc. */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

describe('tollgate serve --workers 2', () => {
  it('serves on one port from two processes and logs every request once', async () => {
    const policyPath = join(dir, 'policy.json');
    const keysPath = join(dir, 'keys.json');
    const logPath = join(dir, 'decisions.jsonl');
    writeFileSync(policyPath, JSON.stringify(httpPolicy(vendor.url, { primary: 'ok' }, { retry: { maxAttempts: 1, timeoutMs: 5000 } })));
    const key = addKey(keysPath, 'acme');
    const args = ['--import', 'jiti/register', 'cli/main.ts', 'serve', '--policy', policyPath, '--port', '0', '--keys', keysPath, '--log', logPath, '--workers', '2'];
    const c = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, TOLLGATE_TEST_KEY: UPSTREAM_KEY }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+) \(2 workers/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      c.on('exit', (code, signal) => reject(new Error(`serve exited early (${code ?? signal}): ${err}`)));
    });
    expect(out.match(/listening on/g)).toHaveLength(1); // one line for the fleet
    expect(err).toMatch(/2 workers without --redis: budgets, rate limits, .* are per worker/);
    const workers = childPids(c.pid!);
    expect(workers).toHaveLength(2);
    const before = workers.map(cpuTicks);

    const agent = new Agent({ keepAlive: false }); // a new connection per request: the primary spreads them round-robin
    let next = 0;
    const results: { status: number; body: string }[] = [];
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < TOTAL) results.push(await send(port, agent, key, `w-${next++}`));
      }),
    );
    agent.destroy();
    expect(results.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
    expect(results).toHaveLength(TOTAL);
    // Both workers did work (CPU beyond their idle start-up state).
    const used = workers.map((p, i) => cpuTicks(p) - before[i]!);
    expect(used.every((t) => t > 0)).toBe(true);

    c.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    expect(code).toBe(0);
    expect(out).toContain('tollgate gateway stopped');
    const ids: string[] = [];
    const issues: number[] = [];
    for await (const r of readDecisionLog(logPath, { onIssue: (i) => issues.push(i.line) })) ids.push(r.requestId);
    expect(issues).toEqual([]);
    expect(ids.length).toBe(TOTAL);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: TOTAL }, (_, i) => `w-${i}`)));
  }, 240_000);
});
