import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { bundled } from '../bundled.js';
import { fileSafe, simulatePolicies, type SimulationProgress, type SimulationReport } from '../../offline/simulation/index.js';
import { withPolicyErrors } from '../format-table.js';
import { CliUsageError, type CliIo } from '../io.js';
import { defaultTrace, examplePolicies } from '../../index.js';
import { detectTraceFormat, TRACE_TASKS, type TraceFormat, type TraceTask } from '../../offline/trace/index.js';
import { formatSimulationTable, formatTraceLine } from './simulate-table.js';

interface SimulateCliOptions {
  policy?: string[];
  trace?: string;
  json?: boolean;
  out?: string;
  seed: string;
  onError: string;
  tenant?: string;
  task?: string;
  queueModel: string;
}

const FORMAT_NAMES: Record<TraceFormat, string> = { jsonl: 'Tollgate JSONL', burstgpt: 'BurstGPT CSV', azure: 'Azure LLM inference CSV' };

/**
 * What a CSV trace's requests are taken to be: tenant and task from the flags, never from the file name
 * (the same Azure trace once cost $49.98 or $4.17 depending on what it was called). Printed on stderr.
 */
async function csvTraceOptions(trace: string, opts: SimulateCliOptions, io: CliIo): Promise<{ tenant?: string; task?: TraceTask; fromFileName: false }> {
  if (opts.task !== undefined && !(TRACE_TASKS as readonly string[]).includes(opts.task)) {
    throw new CliUsageError(`--task must be one of ${TRACE_TASKS.join(', ')}, got "${opts.task}"`);
  }
  const format = await detectTraceFormat(trace);
  if (format === 'jsonl') {
    if (opts.tenant !== undefined || opts.task !== undefined) throw new CliUsageError('--tenant and --task apply to CSV traces; a JSONL trace names tenant and task per request');
    return { fromFileName: false };
  }
  const tenant = opts.tenant ?? (format === 'azure' ? 'azure' : undefined);
  const who = opts.tenant !== undefined ? `tenant "${tenant}" (--tenant)` : tenant ? `tenant "${tenant}" (default; set --tenant)` : 'tenant from each row\'s Log Type (burstgpt-<type>; set --tenant)';
  const what = opts.task !== undefined ? `task ${opts.task} (--task)` : 'no task hint (the classifier infers it; set --task)';
  io.err(`trace ${trace}: ${FORMAT_NAMES[format]}; ${who}, ${what}\n`);
  return { ...(tenant ? { tenant } : {}), ...(opts.task ? { task: opts.task as TraceTask } : {}), fromFileName: false };
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * `tollgate simulate`: streams a trace through one or more policies with the simulated adapter and
 * prints a side-by-side cost comparison (or, with `--json`, exactly one JSON object: the
 * SimulationReport without its sample decisions). Defaults: the three example policies and the
 * bundled default trace — the README's main job.
 */
export function registerSimulate(program: Command, io: CliIo): void {
  program
    .command('simulate')
    .description('Replay a request trace through routing policies (no network) and compare what each would cost.')
    .option('--policy <file>', 'policy file (.yaml, .json, .ts); repeat to compare (default: the three example policies)', collect)
    .option('--trace <file>', 'trace: Tollgate JSONL, BurstGPT CSV or Azure trace CSV (default: the bundled 5,000-request trace)')
    .option('--json', 'print one JSON object (the simulation report) instead of the table')
    .option('--out <dir>', 'also write each policy\'s decision log to <dir>/<policy>.decisions.jsonl')
    .option('--seed <n>', 'seed of the simulated models', '1')
    .option('--on-error <mode>', 'malformed trace rows: fatal (stop at the first) or skip (report and go on)', 'fatal')
    .option('--tenant <name>', 'CSV traces: the tenant of every request (default: azure for an Azure trace, the Log Type for BurstGPT)')
    .option('--task <task>', `CSV traces: the task hint of every request (${TRACE_TASKS.join(', ')}; default none)`)
    .option('--queue-model <on|off>', 'self-hosted fleets: queue, batch and autoscale per the policy (on), or serve every request at once (off); docs/capacity.md', 'on')
    .addHelpText(
      'after',
      '\nExamples:\n  $ tollgate simulate\n  $ tollgate simulate --policy ' + bundled('policies/examples/all-vendor.yaml') + ' --policy ' + bundled('policies/examples/cost-aware.ts') + ' \\\n      --trace ' + bundled('examples/traces/default.jsonl') + ' --out sim-logs --json > report.json\n  $ tollgate simulate --trace AzureLLMInferenceTrace_code.csv --tenant acme --task code',
    )
    .action(async (opts: SimulateCliOptions) => {
      const seed = Number(opts.seed);
      if (!/^\d+$/.test(opts.seed) || !Number.isSafeInteger(seed)) throw new CliUsageError(`--seed must be a non-negative integer, got "${opts.seed}"`);
      if (opts.onError !== 'skip' && opts.onError !== 'fatal') throw new CliUsageError(`--on-error must be skip or fatal, got "${opts.onError}"`);
      if (opts.queueModel !== 'on' && opts.queueModel !== 'off') throw new CliUsageError(`--queue-model must be on or off, got "${opts.queueModel}"`);
      const policies = opts.policy ?? examplePolicies();
      const trace = opts.trace ?? defaultTrace();
      const csv = await csvTraceOptions(trace, opts, io);
      const bar = io.isTty ? progressBar(policies.length) : undefined;
      const started = performance.now();
      let report: SimulationReport;
      try {
        report = await withPolicyErrors(() =>
          simulatePolicies({ policies, trace, seed, outDir: opts.out, queueModel: opts.queueModel === 'on', traceOptions: { onError: opts.onError as 'skip' | 'fatal', ...csv }, onProgress: bar?.update }),
        );
      } finally {
        bar?.stop();
      }
      const seconds = (performance.now() - started) / 1000;
      if (opts.json) {
        io.out(`${JSON.stringify({ ...report, policies: report.policies.map(({ sampleDecisions: _omit, ...p }) => p) })}\n`);
      } else {
        io.out(formatSimulationTable(report));
        io.out(formatTraceLine(report, seconds));
      }
      for (const issue of report.trace.issues.slice(0, 5)) io.err(`skipped line ${issue.line}: ${issue.reason}\n`);
      if (report.trace.skipped > 5) io.err(`… and ${report.trace.skipped - 5} more skipped rows\n`);
      if (opts.out) io.err(`decision logs: ${report.policies.map((p) => `${opts.out}/${fileSafe(p.name)}.decisions.jsonl`).join(', ')}\n`);
    });
}

/** A progress bar on stderr (TTY only): trace rows done, for all policies at once. */
function progressBar(policyCount: number): { update: (p: SimulationProgress) => void; stop: () => void } {
  const bar = new SingleBar({
    format: `simulating {bar} {percentage}% | {value}/{total} rows × ${policyCount} policies | {rate} rows/s`,
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stderr,
  });
  let first: string | undefined;
  let started = false;
  return {
    update: (p) => {
      first ??= p.policy;
      if (p.policy !== first) return;
      const total = p.total ?? Math.max(p.done, 1);
      const rate = p.elapsedMs > 0 ? Math.round((p.done * 1000) / p.elapsedMs) : 0;
      if (!started) {
        bar.start(total, p.done, { rate });
        started = true;
      } else bar.update(p.done, { rate });
      if (bar.getTotal() !== total) bar.setTotal(total);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
