import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';

/** Test harness for a fleet of `tollgate serve` child processes (no build: `node --import jiti/register cli/main.ts`). */
export const ROOT = join(import.meta.dirname, '..', '..');

export interface Replica {
  child: ChildProcess;
  port: number;
  /** Resolves with the exit code or signal. */
  exited: Promise<string>;
}

/** Starts `tollgate serve ARGS --port 0`; resolves once it prints its `listening on` line. */
export function startReplica(args: string[], env: Record<string, string> = {}): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'jiti/register', 'cli/main.ts', 'serve', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(String(signal ?? code))));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), exited });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code, signal) => reject(new Error(`gateway exited before listening (${code ?? signal}): ${err.trim()}`)));
  });
}

export type Outcome =
  | { id: string; tenant: string; status: number; cost: number | undefined; body: string }
  | { id: string; tenant: string; error: string };

/** One chat completion with a client-chosen request id; `status` means the whole response arrived. */
export function send(port: number, agent: Agent, key: string, tenant: string, id: string, content = `fleet request ${id}`): Promise<Outcome> {
  const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }], max_tokens: 16 });
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': id } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const c = res.headers['x-tollgate-cost-micros'];
          resolve({ id, tenant, status: res.statusCode!, cost: typeof c === 'string' ? Number(c) : undefined, body: text });
        });
        res.on('error', (e) => resolve({ id, tenant, error: e.message }));
      },
    );
    req.on('error', (e) => resolve({ id, tenant, error: e.message }));
    req.end(body);
  });
}

export const answered = (o: Outcome): o is Extract<Outcome, { status: number }> => 'status' in o;
