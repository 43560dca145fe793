import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prometheusTool } from './prometheus-tools.js';

/** A port nobody listens on right now (bound on 127.0.0.1 and released). */
export async function sparePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface PromSample { metric: Record<string, string>; value: [number, string] }

export interface RunningPrometheus {
  url: string;
  /** Instant query (at `time` in seconds, default now); throws on a PromQL error. */
  query(expr: string, time?: number): Promise<PromSample[]>;
  /** Polls `check` every 250 ms until it returns a value other than undefined (or the deadline passes). */
  until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `prometheus` binary on a spare 127.0.0.1 port with its own config and data dir (a temp
 * dir, removed on stop), scraping `targets` every second and evaluating `ruleFiles` every second.
 */
export async function startPrometheus(o: { targets: string[]; ruleFiles: string[] }): Promise<RunningPrometheus> {
  const bin = prometheusTool('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'tg-prom-'));
  const port = await sparePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    ...o.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    'scrape_configs:',
    '  - job_name: tollgate',
    '    static_configs:',
    `      - targets: [${o.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  let output = '';
  const child: ChildProcess = spawn(
    bin,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h', '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-20_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}) while waiting for ${what}:\n${output}`);
      try {
        const v = await check();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const query = async (expr: string, time?: number): Promise<PromSample[]> => {
    const params = new URLSearchParams({ query: expr, ...(time !== undefined && { time: String(time) }) });
    const res = await fetch(`${url}/api/v1/query?${params}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
    if (body.data!.resultType !== 'vector') throw new Error(`query ${expr} gave ${body.data!.resultType}, not a vector`);
    return body.data!.result;
  };
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until('prometheus to be ready', async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, query, until, log: () => output, stop };
}
