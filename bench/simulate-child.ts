import { examplePolicies } from '../index.js';
import { simulatePolicies } from '../offline/simulation/index.js';
import { openTrace } from '../offline/trace/index.js';

/**
 * One measured simulation in a fresh process (so peak RSS belongs to this run alone), for
 * bench/simulate.ts: `node simulate-child.js <trace> <fast|fast-noqueue|full|read>` (`fast-noqueue`: the
 * fast replay with the self-hosted queue model off, docs/capacity.md). Prints one JSON line:
 * wall and CPU ms, peak RSS (KiB) and the cost-aware policy's report (without sample decisions).
 */
const [file, mode] = process.argv.slice(2) as [string, 'fast' | 'fast-noqueue' | 'full' | 'read'];
const cpu = process.cpuUsage();
const t = performance.now();
let policy: unknown;
let rows = 0;
if (mode === 'read') {
  for await (const row of await openTrace(file)) if (row.promptTokens !== undefined) rows++;
} else {
  const report = await simulatePolicies({ policies: [examplePolicies()[1]!], trace: file, engine: mode === 'fast-noqueue' ? 'fast' : mode, queueModel: mode !== 'fast-noqueue' });
  const { sampleDecisions: _omit, ...rest } = report.policies[0]!;
  policy = rest;
  rows = report.trace.requests;
}
const wallMs = performance.now() - t;
const c = process.cpuUsage(cpu);
console.log(JSON.stringify({ rows, wallMs, cpuMs: (c.user + c.system) / 1000, maxRssKiB: process.resourceUsage().maxRSS, policy }));
