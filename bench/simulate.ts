import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { examplePolicies } from '../index.js';
import { simulatePolicies } from '../offline/simulation/index.js';
import { generateTrace, openTrace, writeTraceJsonl } from '../offline/trace/index.js';
import { profileByModule } from './cpu-profile.js';
import { printTable, writeResult } from './stats.js';

/** Trace sizes: the fast path at 100k and 1M requests (`BENCH_SIMULATE_LARGE` overrides 1M), the engine at 20k. */
const SMALL = 100_000;
const LARGE = Number(process.env.BENCH_SIMULATE_LARGE ?? 1_000_000);
const ENGINE_ROWS = 20_000;
const PROFILE_ROWS = 100_000;

/** Runs per size (interleaved; `BENCH_SIMULATE_RUNS` overrides, at least 3). */
const RUNS = Math.max(3, Number(process.env.BENCH_SIMULATE_RUNS ?? 3));

/**
 * A baseline build to measure against in the same run (`--baseline=<dir>` or `BENCH_SIMULATE_BASELINE`):
 * the root of another Tollgate checkout with its own `dist/` (e.g. a `git worktree` of an older commit,
 * built with `npx tsc -p tsconfig.build.json`). Its `dist/bench/simulate-child.js` replays the same
 * trace files in runs alternating with this build's, and the report gives the median of each and their
 * ratio: "no slower than before" measured, not remembered.
 */
const BASELINE = process.argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length) || process.env.BENCH_SIMULATE_BASELINE || undefined;

const run = promisify(execFile);
const mib = (kib: number): number => Math.round(kib / 102.4) / 10;
const round1 = (x: number): number => Math.round(x * 10) / 10;

interface ChildRun {
  rows: number;
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
  policy?: Record<string, unknown>;
}

const OWN_CHILD = fileURLToPath(new URL('./simulate-child.js', import.meta.url));

/** Runs one measurement in a fresh node process (bench/simulate-child.ts; `script`: another build's). */
async function child(file: string, mode: 'fast' | 'fast-noqueue' | 'full' | 'read', script = OWN_CHILD): Promise<ChildRun> {
  const { stdout } = await run(process.execPath, [script, file, mode], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildRun;
}

const medianByRss = (runs: ChildRun[]): ChildRun => [...runs].sort((a, b) => a.maxRssKiB - b.maxRssKiB)[Math.floor(runs.length / 2)]!;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.floor(s.length / 2);
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
};
const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;

/** This build against the baseline at one size: medians of the interleaved runs and their ratio (this / baseline; < 1: faster now). */
function versus(head: ChildRun[], base: ChildRun[]) {
  const m = (runs: ChildRun[]) => ({ wallMs: Math.round(median(runs.map((r) => r.wallMs))), cpuMs: Math.round(median(runs.map((r) => r.cpuMs))), peakRssMiB: mib(median(runs.map((r) => r.maxRssKiB))) });
  const h = m(head);
  const b = m(base);
  return {
    head: h,
    baseline: b,
    wallRatio: ratio(h.wallMs, b.wallMs),
    cpuRatio: ratio(h.cpuMs, b.cpuMs),
    /** Median of the per-pair ratios (run i of this build over run i of the baseline, adjacent in time). */
    pairedWallRatio: ratio(median(head.map((r, i) => r.wallMs / base[i]!.wallMs)), 1),
    runs: { head: head.map(brief), baseline: base.map(brief) },
  };
}
const brief = (r: ChildRun) => ({ wallMs: Math.round(r.wallMs), peakRssMiB: mib(r.maxRssKiB) });

const figures = (r: ChildRun) => ({
  wallMs: Math.round(r.wallMs),
  cpuMs: Math.round(r.cpuMs),
  requestsPerSecond: Math.round((r.rows * 1000) / r.wallMs),
  requestsPerCpuSecond: Math.round((r.rows * 1000) / r.cpuMs),
  usPerRequest: round1((r.wallMs * 1000) / r.rows),
  peakRssMiB: mib(r.maxRssKiB),
});

/** The baseline checkout's commit (short hash), when it is a git work tree. */
async function commitOf(dir: string): Promise<string | undefined> {
  try {
    return (await run('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function writeTrace(requests: number): Promise<string> {
  const file = join(tmpdir(), `tollgate-bench-trace-${requests}-${process.pid}.jsonl`);
  await writeTraceJsonl(file, generateTrace({ seed: 'bench-simulate', requests, tenants: 6, messages: false, ratePerSecond: 2 }));
  return file;
}

/**
 * Bench for issue 4: a generated token-count-only trace (`messages: false`) through the cost-aware
 * policy with the fast replay (`engine: 'fast'`) at 100k and 1M requests, each in a fresh process,
 * three times (the median run by peak RSS is reported; every run is in `runs`):
 * wall and CPU time, requests/s, peak RSS and its 1M / 100k ratio (target ≤ 1.2; 1M target ≤ 10 s on
 * 2 cores). For comparison: reading the 1M trace alone, and the full engine (`engine: 'full'`) on
 * 20k rows, whose report must equal the fast replay's on the same rows. Plus a CPU profile by module
 * of the fast replay on 100k rows. With a baseline build (`--baseline=<dir>` or
 * `BENCH_SIMULATE_BASELINE=<dir>`), the baseline's fast replay runs on the same 100k and 1M traces,
 * alternating with this build's runs, and `baseline` reports the median wall and CPU time of each and
 * their ratio (`npm run bench -- simulate --baseline=/tmp/old`, see docs/benchmarks or the bench table).
 */
export async function runSimulateBench(outDir: string): Promise<Record<string, unknown>> {
  const files = { small: await writeTrace(SMALL), large: await writeTrace(LARGE), engine: await writeTrace(ENGINE_ROWS) };
  try {
    // Three runs of each size, interleaved; the median run of each (by peak RSS, which GC timing and
    // the second thread make vary by ±5% from run to run; wall time is the same run's).
    // With a baseline, each of this build's runs has a baseline run next to it on the same trace
    // (which goes first alternates), so both see the same machine load.
    const smalls: ChildRun[] = [];
    const larges: ChildRun[] = [];
    const baseSmalls: ChildRun[] = [];
    const baseLarges: ChildRun[] = [];
    const baseChild = BASELINE ? join(resolve(BASELINE), 'dist', 'bench', 'simulate-child.js') : undefined;
    const pair = async (file: string, own: ChildRun[], base: ChildRun[], baseFirst: boolean): Promise<void> => {
      if (baseChild && baseFirst) base.push(await child(file, 'fast', baseChild));
      own.push(await child(file, 'fast'));
      if (baseChild && !baseFirst) base.push(await child(file, 'fast', baseChild));
    };
    for (let i = 0; i < RUNS; i++) {
      await pair(files.small, smalls, baseSmalls, i % 2 === 1);
      await pair(files.large, larges, baseLarges, i % 2 === 1);
    }
    const small = medianByRss(smalls);
    const large = medianByRss(larges);
    // The same large trace with the self-hosted queue model off (#18: the default runs above have it on).
    const noQueue = await child(files.large, 'fast-noqueue');
    const read = await child(files.large, 'read');
    const engineFull = await child(files.engine, 'full');
    const engineFast = await child(files.engine, 'fast');
    const sameReport = JSON.stringify(engineFull.policy) === JSON.stringify(engineFast.policy);

    const profile = await profileByModule(async () => {
      let n = 0;
      const rows = (async function* () {
        for await (const row of await openTrace(files.small)) {
          if (n++ >= PROFILE_ROWS) return;
          yield row;
        }
      })();
      await simulatePolicies({ policies: [examplePolicies()[1]!], trace: rows, engine: 'fast' });
    });

    const fastRps = (engineFast.rows * 1000) / engineFast.wallMs;
    const fullRps = (engineFull.rows * 1000) / engineFull.wallMs;
    const result = {
      policy: 'cost-aware',
      trace: 'generated, token counts only, 6 tenants',
      fast: {
        [SMALL]: figures(small),
        [LARGE]: figures(large),
        rssRatioLargeToSmall: Math.round((large.maxRssKiB / small.maxRssKiB) * 100) / 100,
        runs: { [SMALL]: smalls.map(brief), [LARGE]: larges.map(brief) },
        fullCostMicros: { [SMALL]: small.policy!.fullCostMicros, [LARGE]: large.policy!.fullCostMicros },
        /** The self-hosted queue model (docs/capacity.md) on (the runs above) and off, same trace, same process run. */
        queueModel: { on: figures(large), off: figures(noQueue), wallRatioOnToOff: Math.round((large.wallMs / noQueue.wallMs) * 100) / 100 },
      },
      readOnly: { rows: read.rows, ...figures(read) },
      engineComparison: {
        rows: ENGINE_ROWS,
        full: figures(engineFull),
        fast: figures(engineFast),
        speedupWall: round1(fastRps / fullRps),
        speedupCpu: round1(engineFull.cpuMs / engineFast.cpuMs),
        /** Fast replay's req/s at the large size (start-up amortised) over the engine's at 20k. */
        speedupSteadyState: round1((large.rows * 1000) / large.wallMs / fullRps),
        sameReport,
      },
      ...(baseChild
        ? {
            /** This build against the baseline build, same trace files, interleaved runs (#13: simulation speed must not regress). */
            baseline: { dir: resolve(BASELINE!), commit: await commitOf(BASELINE!), runsPerSize: RUNS, [SMALL]: versus(smalls, baseSmalls), [LARGE]: versus(larges, baseLarges) },
          }
        : {}),
      loadAverage: (await import('node:os')).loadavg().map((x) => Math.round(x * 10) / 10),
      profile,
    };
    const row = (label: string, r: ChildRun) => {
      const f = figures(r);
      return { run: label, 'wall ms': f.wallMs, 'CPU ms': f.cpuMs, 'req/s (wall)': f.requestsPerSecond.toLocaleString('en-US'), 'req/s (CPU)': f.requestsPerCpuSecond.toLocaleString('en-US'), 'peak RSS MiB': f.peakRssMiB };
    };
    printTable(`simulate: cost-aware, token-count trace (load ${result.loadAverage.join(' ')})`, [
      row(`fast ${SMALL.toLocaleString('en-US')}`, small),
      row(`fast ${LARGE.toLocaleString('en-US')}`, large),
      row(`fast ${LARGE.toLocaleString('en-US')}, queue model off`, noQueue),
      row(`read only ${LARGE.toLocaleString('en-US')}`, read),
      row(`engine ${ENGINE_ROWS.toLocaleString('en-US')}`, engineFull),
      row(`fast ${ENGINE_ROWS.toLocaleString('en-US')}`, engineFast),
    ]);
    console.log(`peak RSS ${LARGE} / ${SMALL}: ×${result.fast.rssRatioLargeToSmall} (target ≤ 1.2); fast vs engine on ${ENGINE_ROWS}: ×${result.engineComparison.speedupWall} wall, ×${result.engineComparison.speedupCpu} CPU (×${result.engineComparison.speedupSteadyState} per request at ${LARGE}); same report: ${sameReport}`);
    if (result.baseline) {
      const b = result.baseline;
      const line = (n: number) => {
        const v = b[n]!;
        return { rows: n.toLocaleString('en-US'), 'wall ms (this)': v.head.wallMs, 'wall ms (baseline)': v.baseline.wallMs, 'wall ratio': v.wallRatio, 'paired wall ratio': v.pairedWallRatio, 'CPU ms (this)': v.head.cpuMs, 'CPU ms (baseline)': v.baseline.cpuMs, 'CPU ratio': v.cpuRatio };
      };
      printTable(`simulate: this build vs baseline ${b.commit ?? b.dir} (fast replay, medians of ${RUNS} interleaved runs each; ratio < 1: faster now)`, [line(SMALL), line(LARGE)]);
    }
    printTable(`simulate: CPU profile by module (fast replay, ${PROFILE_ROWS.toLocaleString('en-US')} requests, self time)`, profile.map((p) => ({ module: p.module, ms: p.ms, share: `${(p.share * 100).toFixed(1)}%` })));
    writeResult(outDir, 'simulate', result);
    return result;
  } finally {
    for (const f of Object.values(files)) rmSync(f, { force: true });
  }
}
