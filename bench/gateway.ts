import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTollgate } from '../index.js';
import { JsonlDecisionSink } from '../index.js';
import { NullDecisionSink } from '../index.js';
import { addKey, KeyStore } from '../gateway/index.js';
import { startGateway } from '../gateway/index.js';
import type { DecisionSink } from '../index.js';
import { startFakeVendor } from '../test/support/fake-vendor-server.js';
import { printTable, summarize, writeResult, type LatencySummary } from './stats.js';
import { agentBody } from './agent-request.js';

/**
 * Gateway overhead on loopback: the same OpenAI chat request sent (a) straight to the local fake vendor
 * and (b) through the gateway (auth, validation, engine: count, route, call the vendor, settle, log),
 * interleaved one by one in the same run so machine noise hits both alike; plus `engine.complete()` called
 * in process against the same vendor (so gateway − engine = the HTTP face's own cost). Added latency is
 * gateway − direct at each percentile. Two gateway variants: the decision log discarded (the gateway's
 * own cost) and the production JSONL log with fdatasync before each response (what `serve` runs).
 * Target: p50 added latency ≤ 1 ms. CPU per request is reported too: on a shared, busy machine wall-clock
 * percentiles mostly measure the scheduler, while CPU time still measures the work.
 */
/** Requests per path (TOLLGATE_BENCH_N shortens a run on a busy machine). */
const N = Number(process.env.TOLLGATE_BENCH_N ?? 400);
const WARMUP = Math.min(100, Math.ceil(N / 4));

interface Row {
  path: string;
  n: number;
  p50Us: number;
  p99Us: number;
  /** Process CPU (client + gateway + engine + fake vendor, all in this process) per request, µs: robust to a busy machine. */
  cpuUsPerRequest: number;
  addedP50Us: number;
  addedP99Us: number;
  addedCpuUs: number;
}

function post(port: number, agent: Agent, path: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`HTTP ${res.statusCode} from ${path}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1000;
}

export async function runGatewayBench(outDir: string): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-gw-bench-'));
  const vendor = await startFakeVendor();
  const policy = {
    name: 'bench-gateway',
    models: [{ id: 'vendor-model', tier: 'vendor' as const, adapter: 'openai-compatible' as const, endpoint: vendor.openaiBaseUrl, upstreamModel: 'ok', contextWindow: 128000, prices: { inputPerM: 1, outputPerM: 2 }, quality: 0.9 }],
    rules: [{ name: 'all', models: ['vendor-model'] }],
  };
  const keysPath = join(dir, 'keys.json');
  const key = addKey(keysPath, 'bench');
  const keys = new KeyStore(keysPath);
  const start = async (sink: DecisionSink) => {
    const tollgate = createTollgate({ policy, decisionLog: sink });
    return startGateway({ tollgate, tenantForKey: (k) => keys.tenantFor(k) });
  };
  const gateways = { 'gateway (log discarded)': await start(new NullDecisionSink()), 'gateway (JSONL log, fdatasync)': await start(new JsonlDecisionSink(join(dir, 'decisions.jsonl'), { durability: 'fsync' })), 'gateway (JSONL log, write)': await start(new JsonlDecisionSink(join(dir, 'decisions-write.jsonl'), { durability: 'write' })) };
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const body = (model: string, i: number) => JSON.stringify({ model, messages: [{ role: 'user', content: `Summarise ticket ${i}: the export button does nothing.` }], max_tokens: 64 });
  // Each path builds request i's body outside the timed call (the agent body takes ~1 ms to build here).
  type Path = (i: number) => () => Promise<unknown>;
  const direct: Path = (i) => {
    const b = body('ok', i);
    return () => post(vendor.port, agent, '/v1/chat/completions', b, {});
  };
  const via =
    (port: number): Path =>
    (i) => {
      const b = body('auto', i);
      return () => post(port, agent, '/v1/chat/completions', b, { authorization: `Bearer ${key}` });
    };
  // The engine alone (same vendor, no HTTP face): gateway − this = what the HTTP face itself adds.
  const engine = createTollgate({ policy, decisionLog: new NullDecisionSink() });
  const inProcess: Path = (i) => () => engine.complete({ tenant: 'bench', messages: [{ role: 'user', content: `Summarise ticket ${i}: the export button does nothing.` }], maxOutputTokens: 64 });
  // The agent request (20 tools, 30 turns with tool results, ~30 KB): direct and through the gateway (log discarded).
  const agentDirect: Path = (i) => {
    const b = agentBody('ok', i);
    return () => post(vendor.port, agent, '/v1/chat/completions', b, {});
  };
  const agentVia: Path = (i) => {
    const b = agentBody('auto', i);
    return () => post(gateways['gateway (log discarded)'].port, agent, '/v1/chat/completions', b, { authorization: `Bearer ${key}` });
  };
  const paths: [string, Path][] = [
    ['direct to vendor', direct],
    ['engine.complete() in process', inProcess],
    ...Object.entries(gateways).map(([name, g]) => [name, via(g.port)] as [string, Path]),
    ['agent: direct to vendor', agentDirect],
    ['agent: gateway (log discarded)', agentVia],
  ];
  const samples = new Map<string, number[]>(paths.map(([n]) => [n, []]));
  const cpu = new Map<string, number>(paths.map(([n]) => [n, 0]));
  try {
    for (let i = 0; i < WARMUP + N; i++) {
      for (const [name, fn] of paths) {
        const send = fn(i);
        const c = process.cpuUsage();
        const us = await timed(send);
        const d = process.cpuUsage(c);
        if (i >= WARMUP) {
          samples.get(name)!.push(us);
          cpu.set(name, cpu.get(name)! + d.user + d.system);
        }
      }
    }
  } finally {
    agent.destroy();
    for (const g of Object.values(gateways)) await g.close();
    await engine.close();
    await vendor.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const summaries = new Map<string, LatencySummary>([...samples].map(([n, s]) => [n, summarize(s)]));
  const rows: Row[] = [...summaries].map(([path, s]) => {
    const basePath = path.startsWith('agent:') ? 'agent: direct to vendor' : 'direct to vendor';
    const base = summaries.get(basePath)!;
    return {
      path,
      n: s.n,
      p50Us: s.p50,
      p99Us: s.p99,
      cpuUsPerRequest: Math.round(cpu.get(path)! / s.n),
      addedP50Us: Math.round((s.p50 - base.p50) * 10) / 10,
      addedP99Us: Math.round((s.p99 - base.p99) * 10) / 10,
      addedCpuUs: Math.round((cpu.get(path)! - cpu.get(basePath)!) / s.n),
    };
  });
  const added = (p: string) => rows.find((r) => r.path === p)!.addedP50Us;
  // Target (#15): the agent request's added p50 ≤ 2× the plain request's (counting and validation must not dominate).
  const agentToPlainAddedP50 = Math.round((added('agent: gateway (log discarded)') / Math.max(1, added('gateway (log discarded)'))) * 100) / 100;
  printTable(`Gateway overhead on loopback (${N} sequential requests per path, interleaved; µs; target added p50 ≤ 1000 µs)`, rows as unknown as Record<string, number | string>[]);
  console.log(`agent request added p50 / plain request added p50 = ${agentToPlainAddedP50} (target ≤ 2)`);
  writeResult(outDir, 'gateway', { requestsPerPath: N, warmup: WARMUP, targetAddedP50Us: 1000, agentRequestBytes: Buffer.byteLength(agentBody('auto', 0)), agentToPlainAddedP50, targetAgentToPlainAddedP50: 2, loadAverage: loadavg(), cpus: cpus().length, rows });
  return rows;
}
