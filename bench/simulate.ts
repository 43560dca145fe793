import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplePolicies } from '../cli/paths.js';
import { simulatePolicies } from '../engine/simulation/index.js';
import { generateTrace, openTrace, writeTraceJsonl } from '../engine/trace/index.js';
import { profileByModule } from './cpu-profile.js';
import { printTable, writeResult } from './stats.js';

/** Trace size; `BENCH_SIMULATE_REQUESTS=1000000 npm run bench -- simulate` runs the full million. */
const REQUESTS = Number(process.env.BENCH_SIMULATE_REQUESTS ?? 100_000);
const PROFILE_REQUESTS = 20_000;

const mib = (bytes: number): number => Math.round(bytes / 104_857.6) / 10;

/**
 * Bench for issue 4: simulate a generated token-count-only trace (`messages: false`) through the
 * cost-aware policy; requests/s by wall and by CPU time, extrapolated time per 1M requests, the
 * ratio to a plain loop that only reads the same trace, RSS at 20 % and 100 % of the run
 * (flatness), and a CPU profile by module of a shorter run (what dominates).
 */
export async function runSimulateBench(outDir: string): Promise<Record<string, unknown>> {
  const policy = examplePolicies()[1]!; // cost-aware
  const file = join(tmpdir(), `tollgate-bench-trace-${REQUESTS}.jsonl`);
  await writeTraceJsonl(file, generateTrace({ seed: 'bench-simulate', requests: REQUESTS, tenants: 6, messages: false, ratePerSecond: 2 }));
  try {
    // Plain read: parse every row, simulate nothing.
    let t = performance.now();
    let rows = 0;
    for await (const row of await openTrace(file)) if (row.promptTokens !== undefined) rows++;
    const readMs = performance.now() - t;

    // Simulation, sampling RSS as it goes.
    const rss: { done: number; rss: number }[] = [];
    let peak = process.memoryUsage.rss();
    const cpu = process.cpuUsage();
    t = performance.now();
    const report = await simulatePolicies({
      policies: [policy],
      trace: file,
      onProgress: (p) => {
        const now = process.memoryUsage.rss();
        peak = Math.max(peak, now);
        rss.push({ done: p.done, rss: now });
      },
    });
    const simMs = performance.now() - t;
    const c = process.cpuUsage(cpu);
    const cpuMs = (c.user + c.system) / 1000;
    const at = (frac: number) => rss.find((r) => r.done >= frac * REQUESTS)?.rss ?? peak;
    const rps = (REQUESTS * 1000) / simMs;
    const cpuRps = (REQUESTS * 1000) / cpuMs;

    const profile = await profileByModule(() => simulatePolicies({ policies: [policy], trace: (async function* () {
      let n = 0;
      for await (const row of await openTrace(file)) {
        if (n++ >= PROFILE_REQUESTS) return;
        yield row;
      }
    })() }));

    const result = {
      requests: REQUESTS,
      policy: 'cost-aware',
      fullCostMicros: report.policies[0]!.fullCostMicros,
      readMs: Math.round(readMs),
      readRowsPerSecond: Math.round((rows * 1000) / readMs),
      simulateMs: Math.round(simMs),
      simulateCpuMs: Math.round(cpuMs),
      requestsPerSecond: Math.round(rps),
      requestsPerCpuSecond: Math.round(cpuRps),
      perMillionSeconds: Math.round(1e6 / rps * 10) / 10,
      perMillionCpuSeconds: Math.round(1e6 / cpuRps * 10) / 10,
      simulateVsRead: Math.round((simMs / readMs) * 10) / 10,
      usPerRequest: Math.round((simMs * 1000) / REQUESTS * 10) / 10,
      rssMiB: { at20pct: mib(at(0.2)), at100pct: mib(at(1)), peak: mib(peak), growth20to100: Math.round((at(1) / at(0.2)) * 100) / 100 },
      profile,
    };
    printTable(`simulate: ${REQUESTS.toLocaleString('en-US')} token-count requests through cost-aware`, [
      { measure: 'plain read (parse only)', value: `${result.readRowsPerSecond.toLocaleString('en-US')} rows/s`, detail: `${result.readMs} ms` },
      { measure: 'simulate (wall)', value: `${result.requestsPerSecond.toLocaleString('en-US')} req/s`, detail: `${result.simulateMs} ms, ${result.usPerRequest} µs/request` },
      { measure: 'simulate (CPU)', value: `${result.requestsPerCpuSecond.toLocaleString('en-US')} req/s`, detail: `${result.simulateCpuMs} ms CPU` },
      { measure: 'extrapolated 1M requests', value: `${result.perMillionSeconds} s`, detail: `${result.perMillionCpuSeconds} s CPU; target ≤ 10 s` },
      { measure: 'simulate / plain read', value: `${result.simulateVsRead}×`, detail: '' },
      { measure: 'RSS at 20% → 100%', value: `${result.rssMiB.at20pct} → ${result.rssMiB.at100pct} MiB`, detail: `×${result.rssMiB.growth20to100}, peak ${result.rssMiB.peak} MiB` },
    ]);
    printTable(`simulate: CPU profile by module (${PROFILE_REQUESTS.toLocaleString('en-US')} requests, self time)`, profile.map((p) => ({ module: p.module, ms: p.ms, share: `${(p.share * 100).toFixed(1)}%` })));
    writeResult(outDir, 'simulate', result);
    return result;
  } finally {
    rmSync(file, { force: true });
  }
}
