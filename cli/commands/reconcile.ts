import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readDecisionLog, reconcileDecisionStore } from '../../offline/reporting/index.js';
import { type DbOptions, logOrDb, withQueries } from './db-options.js';
import type { DecisionRecord } from '../../index.js';
import { TollgateError } from '../../index.js';
import { type Discrepancy, type ReconcileReport, reconcile } from '../../offline/billing/index.js';
import { parseVendorUsageFile, type VendorUsageRow } from '../../offline/billing/index.js';
import { loadPolicy } from '../../index.js';
import { withPolicyErrors } from '../format-table.js';
import { CliUsageError, type CliIo } from '../io.js';
import { usdExact } from './money-format.js';

interface Options extends DbOptions {
  log?: string;
  usage: string[];
  tolerance: string;
  policy?: string;
  format: string;
}

/**
 * `tollgate reconcile`: compares per-day, per-model totals from the decision log with vendor usage/cost
 * exports. Exits 1 when any difference exceeds the tolerance (so it can gate a billing pipeline).
 */
export function registerReconcile(program: Command, io: CliIo): void {
  program
    .command('reconcile')
    .description('Compare per-day, per-model token and cost totals in the decision log with a vendor usage/cost export (see docs/reconcile.md).')
    .option('--log <file>', 'decision log (JSONL)')
    .option('--db <url>', 'read the PostgreSQL decision store instead of a JSONL log (postgres://…)')
    .option('--db-schema <name>', 'PostgreSQL schema of the decision store', 'tollgate')
    .requiredOption('--usage <file...>', 'vendor exports: CSV, or saved API results as JSON (OpenAI Usage/Costs API; Anthropic usage and cost reports)')
    .option('--tolerance <fraction>', 'relative difference allowed per metric', '0.01')
    .option('--policy <file>', "policy: maps model ids to the vendor's names (upstreamModel)")
    .option('--format <fmt>', 'table or json', 'table')
    .addHelpText('after', '\nExample:\n  $ tollgate reconcile --log decisions.jsonl --usage usage-2025-03.csv costs-2025-03.csv --policy policy.yaml --tolerance 0.01\n  $ tollgate reconcile --log decisions.jsonl --usage anthropic-usage.json anthropic-cost.json --policy policy.yaml')
    .action(async (o: Options) => {
      const tolerance = Number(o.tolerance);
      if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance >= 1) throw new CliUsageError(`--tolerance must be a fraction in [0, 1), got "${o.tolerance}"`);
      if (!['table', 'json'].includes(o.format)) throw new CliUsageError(`--format must be table or json, got "${o.format}"`);
      let modelNames: Record<string, string> | undefined;
      if (o.policy) {
        const loaded = await withPolicyErrors(() => loadPolicy(o.policy!));
        modelNames = Object.fromEntries(loaded.policy.models.map((m) => [m.id, m.upstreamModel ?? m.id]));
      }
      const vendor: VendorUsageRow[] = [];
      for (const file of o.usage) vendor.push(...parseVendorUsageFile(readText(file), file));
      let report: ReconcileReport;
      if (logOrDb(o) === 'db') report = await withQueries(o, (q) => reconcileDecisionStore(q, vendor, { tolerance, modelNames }));
      else {
        const records: DecisionRecord[] = [];
        for await (const r of readDecisionLog(o.log!, { onIssue: (i) => io.err(`warning: ${o.log}:${i.line}: skipped ${i.torn ? 'torn last line' : 'invalid line'}\n`) })) records.push(r);
        report = reconcile(records, vendor, { tolerance, modelNames });
      }
      io.out(o.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : toText(report));
      if (report.discrepancies.length) throw new CliUsageError(`${report.discrepancies.length} difference(s) beyond tolerance ${tolerance}`, 1);
    });
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TollgateError('file_not_found', `Usage export not found: ${file}`, { path: file });
    throw err;
  }
}

const fmt = (metric: string, v: number) => (metric === 'costMicros' ? `$${usdExact(v)}` : String(v));

function discrepancyText(d: Discrepancy): string {
  const lines = [`${d.day}  ${d.model}  ${d.kind}`];
  for (const m of d.metrics) lines.push(`    ${m.metric.padEnd(12)} tollgate ${fmt(m.metric, m.ours).padStart(14)}   vendor ${fmt(m.metric, m.theirs).padStart(14)}   (${(m.relDiff * 100).toFixed(2)}%)`);
  lines.push(`    → ${d.hint}`);
  for (const e of d.explainers) lines.push(`    · ${e.requestId}: ${e.reason} — ${e.detail}`);
  return lines.join('\n');
}

function toText(r: ReconcileReport): string {
  const out = [`Reconciliation: ${r.compared.length} day×model buckets compared`];
  out.push(r.range ? `export covers ${r.range.from} .. ${r.range.to}; tolerance ${(r.tolerance * 100).toFixed(2)}%` : 'the export has no rows');
  if (r.notCompared.days) out.push(`not compared: ${r.notCompared.requests} logged request(s) on ${r.notCompared.days} day(s) outside the export's range`);
  out.push(r.discrepancies.length ? `\n${r.discrepancies.length} difference(s) beyond tolerance:\n` : '\nno differences beyond tolerance');
  for (const d of r.discrepancies) out.push(discrepancyText(d));
  return `${out.join('\n')}\n`;
}
