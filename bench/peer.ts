import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../index.js';
import { addKey } from '../gateway/index.js';
import { printTable, writeResult } from './stats.js';

/**
 * `npm run bench -- peer`: the peer harness (`../shared/peerbench/`, copied to a scratch folder at run time,
 * never vendored) against `tollgate serve` and, when installed in a scratch folder as the harness's README
 * says, the Portkey gateway — in the same run, each with its own direct-vs-gateway interleaving (load.mjs),
 * c=1 and c=32, non-streaming and streaming. CPU per request is the gateway's process tree (workers
 * included) from /proc, over exactly the requests load.mjs sent it (warm-up included).
 *
 * Environment: PEER_N (per target and rep, default 1000), PEER_REPS (3), PEER_WARMUP (200, load.mjs's own warm-up
 * before each rep), PEER_WARM_RUN (2000: requests of an unrecorded load.mjs run at the measured concurrency and
 * mode before the measured one, so every gateway is measured warm, JIT and pools settled, whatever its place
 * in the order; 0 turns it off), PEER_CONC ("1,32"),
 * PEER_GATEWAYS (comma list of tollgate, tollgate-fsync, tollgate-none, tollgate-w2, node-http-floor, portkey; default
 * all found; node-http-floor is bench/peer-floor.ts, the least a Node gateway can do: the floor Tollgate's cost sits on),
 * TOLLGATE_PEERBENCH (the harness folder), PEER_SCRATCH (where it is copied; its node_modules are kept between
 * runs), PORTKEY_DIR (a folder where `npm i @portkey-ai/gateway@1.15.2` was run; default $TMPDIR/tollgate-peer-portkey),
 * PEER_BASELINE (another build's `dist/cli/main.js`, run as `tollgate-baseline`: before/after figures in one run).
 *
 * Portkey's streaming: on a fresh install (`@hono/node-server` resolves to 1.19.x) every streamed request is a 500
 * ("TypeError: immutable" in its ResponseService.updateHeaders): for an OpenAI stream Portkey answers
 * `new Response(transformed, upstreamFetchResponse)`, hono's lightweight Response keeps the upstream response's
 * own Headers object — immutable, as fetch returns it — and Portkey then appends its x-portkey-* headers to it.
 * With `@hono/node-server` 1.13.8 (whose `headers` getter builds a real Response first) it streams; install with
 * `"overrides": { "@hono/node-server": "1.13.8" }` in the scratch folder's package.json to measure it.
 */

const VENDOR_PORT = 18080 + (process.pid % 1000);
let portkeyHono: string | undefined;
const GW_PORT = VENDOR_PORT + 1000;
const TICK_US = 1e6 / 100; // /proc CPU ticks (USER_HZ)

interface Gateway {
  name: string;
  cmd: string[];
  env?: Record<string, string>;
  ready: string;
  headers: string[];
}

interface Row {
  gateway: string;
  stream: boolean;
  conc: number;
  directRps: number;
  gwRps: number;
  gwOverDirect: number;
  addedP50Ms: number;
  addedP99Ms: number;
  gwCpuUsPerRequest: number;
  errors: number;
  /** The harness run failed (errors: -1). */
  failed?: string;
}

export async function runPeerBench(outDir: string): Promise<Row[]> {
  const root = packageRoot();
  const harness = process.env.TOLLGATE_PEERBENCH ?? join(root, '..', 'shared', 'peerbench');
  if (!existsSync(join(harness, 'load.mjs'))) throw new Error(`peer harness not found at ${harness} (set TOLLGATE_PEERBENCH)`);
  const scratch = process.env.PEER_SCRATCH ?? join(tmpdir(), 'tollgate-peerbench');
  mkdirSync(scratch, { recursive: true });
  for (const f of readdirSync(harness)) if (f !== 'results' && f !== 'node_modules') cpSync(join(harness, f), join(scratch, f), { recursive: true });
  if (!existsSync(join(scratch, 'node_modules', 'undici'))) execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', 'undici@6'], { cwd: scratch, stdio: 'inherit' });

  const N = Number(process.env.PEER_N ?? 1000);
  const REPS = Number(process.env.PEER_REPS ?? 3);
  const WARMUP = Number(process.env.PEER_WARMUP ?? 200);
  const WARM_RUN = Number(process.env.PEER_WARM_RUN ?? 2000);
  const CONCS = (process.env.PEER_CONC ?? '1,32').split(',').map(Number);
  const vendorUrl = `http://127.0.0.1:${VENDOR_PORT}/v1`;

  // tollgate serve: the harness's model name routed to the harness's vendor.
  const work = join(scratch, 'tollgate');
  mkdirSync(work, { recursive: true });
  const policy = join(work, 'policy.json');
  writeFileSync(policy, JSON.stringify({ name: 'peerbench', models: [{ id: 'gpt-4o-mini', tier: 'vendor', adapter: 'openai-compatible', endpoint: vendorUrl, apiKeyEnv: 'PEER_VENDOR_KEY', upstreamModel: 'gpt-4o-mini', contextWindow: 128000, prices: { inputPerM: 0.15, outputPerM: 0.6 }, quality: 0.8 }], rules: [{ name: 'all', models: ['gpt-4o-mini'] }] }));
  const keys = join(work, `keys-${process.pid}.json`);
  const key = addKey(keys, 'peer');
  const cli = join(root, 'dist', 'cli', 'main.js');
  const serve = (name: string, extra: string[]): Gateway => ({
    name,
    cmd: [process.execPath, cli, 'serve', '--policy', policy, '--port', String(GW_PORT), '--keys', keys, '--log', join(work, `${name}-${process.pid}.jsonl`), ...extra],
    env: { PEER_VENDOR_KEY: 'sk-peerbench' },
    ready: `http://127.0.0.1:${GW_PORT}/healthz`,
    headers: ['-H', `authorization: Bearer ${key}`],
  });
  const portkeyDir = process.env.PORTKEY_DIR ?? join(tmpdir(), 'tollgate-peer-portkey');
  const portkeyStart = join(portkeyDir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  const baseline = process.env.PEER_BASELINE;
  const all: Gateway[] = [
    ...(baseline ? [{ ...serve('tollgate-baseline', []), cmd: [process.execPath, baseline, ...serve('tollgate-baseline', []).cmd.slice(2)] }] : []),
    serve('tollgate', []),
    serve('tollgate-fsync', ['--durability', 'fsync']),
    serve('tollgate-none', ['--durability', 'none']),
    serve('tollgate-w2', ['--workers', '2']),
    { name: 'node-http-floor', cmd: [process.execPath, join(root, 'dist', 'bench', 'peer-floor.js'), String(GW_PORT), vendorUrl], ready: `http://127.0.0.1:${GW_PORT}/healthz`, headers: [] },
    ...(existsSync(portkeyStart)
      ? [{ name: 'portkey', cmd: [process.execPath, portkeyStart, '--headless', `--port=${GW_PORT}`], ready: `http://127.0.0.1:${GW_PORT}/`, headers: ['-H', 'x-portkey-provider: openai', '-H', `x-portkey-custom-host: ${vendorUrl}`] }]
      : []),
  ];
  const wanted = process.env.PEER_GATEWAYS?.split(',');
  // In the order asked for (e.g. portkey,tollgate to see whether the order favours one).
  const gateways = wanted ? wanted.flatMap((n) => all.filter((g) => g.name === n)) : all;
  if (!existsSync(portkeyStart)) console.log(`(portkey not installed in ${portkeyDir}: npm i @portkey-ai/gateway@1.15.2 there to include it)`);
  else {
    const hono = join(portkeyDir, 'node_modules', '@hono', 'node-server', 'package.json');
    const v = existsSync(hono) ? (JSON.parse(readFileSync(hono, 'utf8')) as { version: string }).version : '?';
    portkeyHono = v;
    if (!/^1\.(\d|1[0-3])\./.test(v)) console.log(`(portkey uses @hono/node-server ${v}: its streamed answers fail with "TypeError: immutable"; see the note at the top of bench/peer.ts)`);
  }

  const load0 = loadavg();
  const vendor = spawn(process.execPath, [join(scratch, 'vendor.mjs'), String(VENDOR_PORT)], { stdio: 'ignore' });
  const rows: Row[] = [];
  try {
    await waitHttp(`http://127.0.0.1:${VENDOR_PORT}/stats`);
    for (const g of gateways) {
      const gw = spawn(g.cmd[0]!, g.cmd.slice(1), { env: { ...process.env, ...g.env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      let err = '';
      gw.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      try {
        await waitHttp(g.ready, gw);
        for (const stream of [false, true]) {
          for (const conc of CONCS) {
            const out = join(scratch, `peer-${g.name}-${stream ? 's' : 'n'}-${conc}.json`);
            const load = (n: number, reps: number, warmup: number, file: string) =>
              execFileSync(process.execPath, [join(scratch, 'load.mjs'), '--direct', vendorUrl, '--gateway', `http://127.0.0.1:${GW_PORT}/v1`, ...g.headers, '--conc', String(conc), '--n', String(n), '--reps', String(reps), '--warmup', String(warmup), '--expect', 'chat.completion', ...(stream ? ['--stream'] : []), '--out', file], { cwd: scratch, stdio: ['ignore', 'ignore', 'inherit'] });
            let before = 0;
            try {
              if (WARM_RUN > 0) load(WARM_RUN, 1, 0, join(scratch, `warm-${g.name}.json`)); // not recorded, not counted
              before = treeTicks(gw.pid!);
              load(N, REPS, WARMUP, out);
            } catch (e) {
              // e.g. every streamed answer an error (load.mjs then has no latency to report)
              rows.push({ gateway: g.name, stream, conc, directRps: 0, gwRps: 0, gwOverDirect: 0, addedP50Ms: 0, addedP99Ms: 0, gwCpuUsPerRequest: 0, errors: -1, failed: (e as Error).message.split('\n')[0]!.slice(0, 200) });
              continue;
            }
            const ticks = treeTicks(gw.pid!) - before;
            const r = JSON.parse(readFileSync(out, 'utf8')) as { median: { direct_rps: number; gw_rps: number; added_p50: number; added_p99: number; rps_ratio: number }[]; errors: Record<string, number> };
            const m = r.median[0]!;
            const sent = (N + WARMUP) * REPS;
            rows.push({ gateway: g.name, stream, conc, directRps: Math.round(m.direct_rps), gwRps: Math.round(m.gw_rps), gwOverDirect: round(m.rps_ratio, 3), addedP50Ms: round(m.added_p50, 3), addedP99Ms: round(m.added_p99, 3), gwCpuUsPerRequest: Math.round((ticks * TICK_US) / sent), errors: Object.values(r.errors).reduce((a, b) => a + b, 0) });
          }
        }
      } catch (e) {
        console.error(`peer ${g.name} failed: ${(e as Error).message}\n${err.slice(-2000)}`);
      } finally {
        await stop(gw);
      }
    }
  } finally {
    vendor.kill('SIGTERM');
  }
  const ratios: Record<string, number> = {};
  for (const r of rows.filter((x) => x.gateway.startsWith('tollgate'))) {
    const at = `${r.gateway} ${r.stream ? 'stream' : 'json'} c=${r.conc}`;
    const p = rows.find((x) => x.gateway === 'portkey' && x.stream === r.stream && x.conc === r.conc);
    if (p && p.errors === 0 && p.gwRps > 0) ratios[`${at} req/s vs portkey`] = round(r.gwRps / p.gwRps, 2);
    const f = rows.find((x) => x.gateway === 'node-http-floor' && x.stream === r.stream && x.conc === r.conc);
    if (f && f.errors === 0 && f.gwRps > 0) {
      ratios[`${at} req/s vs node-http-floor`] = round(r.gwRps / f.gwRps, 2);
      ratios[`${at} CPU/req over node-http-floor, µs`] = r.gwCpuUsPerRequest - f.gwCpuUsPerRequest;
    }
  }
  printTable(`peer harness: gateway vs direct vendor, median of ${REPS} reps, N=${N}; load ${load0.map((x) => x.toFixed(1)).join('/')} on ${cpus().length} CPUs`, rows as unknown as Record<string, number | string>[]);
  if (Object.keys(ratios).length) console.log(ratios);
  writeResult(outDir, 'peer', { harness, ...(portkeyHono && { portkeyHonoNodeServer: portkeyHono }), ...(baseline && { baseline }), n: N, reps: REPS, warmup: WARMUP, warmRun: WARM_RUN, concs: CONCS, loadAverageStart: load0, loadAverageEnd: loadavg(), cpus: cpus().length, rows, ratios, note: 'gwCpuUsPerRequest: CPU of the gateway process tree (/proc, 10 ms ticks) over the requests of the measured run (load.mjs warm-ups included; the unrecorded warm run before it excluded)' });
  return rows;
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

async function waitHttp(url: string, child?: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child && child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before ${url} answered`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`timeout waiting for ${url}`);
}

/** utime + stime of a process and all its descendants, in ticks. */
function treeTicks(pid: number): number {
  let total = 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    total += Number(rest[11]) + Number(rest[12]);
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(/\s+/) : []) total += treeTicks(Number(k));
    }
  } catch {
    // exited
  }
  return total;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  const t = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, 15_000);
  await exited;
  clearTimeout(t);
}
