import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readDecisionLog } from '../../offline/reporting/index.js';
import type { DecisionRecord } from '../../index.js';
import type { LoadedPolicy } from '../../index.js';
import { fileSafe, simulatePolicies, type PolicySimulation, type SimulationProgress, type SimulationReport } from '../../offline/simulation/index.js';
import { compareRows, type CompareRow } from './views/compare.js';
import { DailySpend, toMs } from './views/daily.js';
import { executiveView, type ExecutiveView } from './views/executive.js';
import { OnCallBuilder, type OnCallView } from './views/oncall.js';
import { tenantRows, type TenantRow } from './views/tenants.js';

/** Views the server derives for one simulated policy (the page only formats them). */
export interface PolicyViews {
  name: string;
  executive: ExecutiveView;
  tenants: TenantRow[];
  /** From the policy's decision records; undefined when the simulation kept none. */
  oncall?: OnCallView;
}

export interface SimulationResult {
  report: SimulationReport;
  views: PolicyViews[];
  /** Side-by-side metrics, the first policy as the baseline. */
  compare: CompareRow[];
  elapsedMs: number;
}

export interface RunSimulationOptions {
  policies: LoadedPolicy[];
  traceFile: string;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: SimulationProgress) => void;
}

/**
 * Simulates the policies over a trace file with `simulatePolicies` (offline/simulation, the same code
 * path as `tollgate simulate`; malformed trace rows skipped
 * and reported, as the uploads were), then derives the executive and on-call views.
 */
export async function runSimulation(o: RunSimulationOptions): Promise<SimulationResult> {
  const outDir = await mkdtemp(join(tmpdir(), 'tollgate-playground-run-'));
  const started = performance.now();
  try {
    const report = await simulatePolicies({
      policies: o.policies,
      trace: o.traceFile,
      seed: o.seed,
      signal: o.signal,
      onProgress: o.onProgress,
      outDir,
      traceOptions: { onError: 'skip' },
    });
    const elapsedMs = Math.round(performance.now() - started);
    const logs = await decisionLogs(outDir);
    const views: PolicyViews[] = [];
    for (const [i, p] of report.policies.entries()) {
      const tenants = o.policies[i]?.policy.tenants ?? {};
      views.push({ name: p.name, executive: executiveFromTimeline(p), tenants: tenantRows(p, tenants), oncall: await oncallFor(p, tenants, logs, o.policies[i]?.policy.circuitBreaker) });
    }
    return { report, views, compare: compareRows(report.policies), elapsedMs };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

function executiveFromTimeline(p: PolicySimulation): ExecutiveView {
  const daily = new DailySpend();
  for (const b of p.timeline) daily.add(toMs(b.start), b.requests, b.fullCostMicros, b.vendorCostMicros);
  return executiveView(daily);
}

async function oncallFor(p: PolicySimulation, tenants: LoadedPolicy['policy']['tenants'], logs: string[], circuit?: LoadedPolicy['policy']['circuitBreaker']): Promise<OnCallView | undefined> {
  const log = logs.find((f) => basename(f) === `${fileSafe(p.name)}.decisions.jsonl`);
  const builder = new OnCallBuilder(tenants, circuit);
  if (log) {
    for await (const r of readDecisionLog(log, { skipInvalid: true })) builder.observe(r);
    return builder.finish();
  }
  if (!p.sampleDecisions?.length) return undefined;
  const sorted: DecisionRecord[] = [...p.sampleDecisions].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  for (const r of sorted) builder.observe(r);
  return builder.finish();
}

async function decisionLogs(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.jsonl')) out.push(p);
    }
  };
  await walk(dir);
  return out;
}
