import type { Command } from 'commander';
import { bundled } from '../bundled.js';
import { GenaiPricesCatalog } from '../../index.js';
import { type ChargebackReport, type ChargebackRow, ChargebackBuilder, FocusBuilder, focusCsv } from '../../offline/billing/index.js';
import { compilePolicy } from '../../index.js';
import { chargebackDecisionStore, readDecisionLog } from '../../offline/reporting/index.js';
import { type DbOptions, logOrDb, withQueries } from './db-options.js';
import { loadPolicy } from '../../index.js';
import { CliUsageError, type CliIo } from '../io.js';
import { renderTable, withPolicyErrors } from '../format-table.js';
import { csvCell, usdExact } from './money-format.js';

interface Options extends DbOptions {
  log?: string;
  month: string;
  format: string;
  policy?: string;
}

/** `tollgate chargeback`: per tenant and cost centre, tokens and full cost split into vendor, infra and ops, and vendor cost by part. */
export function registerChargeback(program: Command, io: CliIo): void {
  program
    .command('chargeback')
    .description('Chargeback for a month from a decision log: per tenant and cost centre, tokens, GPU-hours, cost split into vendor, infra and ops, and vendor cost by part (fresh input, cache reads, cache writes, output; per service tier).')
    .option('--log <file>', 'decision log (JSONL)')
    .option('--db <url>', 'read the PostgreSQL decision store instead of a JSONL log (postgres://…)')
    .option('--db-schema <name>', 'PostgreSQL schema of the decision store', 'tollgate')
    .requiredOption('--month <YYYY-MM>', 'calendar month (UTC)')
    .option('--format <fmt>', 'table, csv, json, or focus (FinOps FOCUS 1.2 CSV: one charge row per day, tenant, model and tag set)', 'table')
    .option('--policy <file>', 'policy for cost centres (tenants.<t>.costCenter) and GPU-hours per model')
    .addHelpText('after', '\nExample:\n  $ tollgate chargeback --log decisions.jsonl --month 2025-03 --policy ' + bundled('policies/examples/cost-aware.ts') + ' --format csv > chargeback-2025-03.csv\n  $ tollgate chargeback --log decisions.jsonl --month 2025-03 --policy ' + bundled('policies/examples/cost-aware.ts') + ' --format focus > focus-2025-03.csv')
    .action(async (o: Options) => {
      if (!['table', 'csv', 'json', 'focus'].includes(o.format)) throw new CliUsageError(`--format must be table, csv, json or focus, got "${o.format}"`);
      if (o.format === 'focus' && logOrDb(o) === 'db') throw new CliUsageError('--format focus reads a decision log (--log); the PostgreSQL store keeps rollups without per-day tags');
      let costCenters: Record<string, string | undefined> | undefined;
      let gpuHoursPerM: Record<string, number> | undefined;
      if (o.policy) {
        const loaded = await withPolicyErrors(() => loadPolicy(o.policy!));
        costCenters = Object.fromEntries(Object.entries(loaded.policy.tenants).map(([t, s]) => [t, s.costCenter]));
        gpuHoursPerM = Object.fromEntries(compilePolicy(loaded, new GenaiPricesCatalog()).models.map((m) => [m.id, m.basis.gpuHoursPerM]));
      }
      if (o.format === 'focus') {
        const focus = new FocusBuilder({ month: o.month, costCenters, gpuHoursPerM });
        for await (const r of readDecisionLog(o.log!, { onIssue: (i) => io.err(`warning: ${o.log}:${i.line}: skipped ${i.torn ? 'torn last line' : 'invalid line'} (${i.reason})\n`) })) focus.add(r);
        io.out(focusCsv(focus.rows()));
        return;
      }
      let report: ChargebackReport;
      if (logOrDb(o) === 'db') report = await withQueries(o, (q) => chargebackDecisionStore(q, { month: o.month, costCenters, gpuHoursPerM }));
      else {
        const builder = new ChargebackBuilder({ month: o.month, costCenters, gpuHoursPerM });
        for await (const r of readDecisionLog(o.log!, { onIssue: (i) => io.err(`warning: ${o.log}:${i.line}: skipped ${i.torn ? 'torn last line' : 'invalid line'} (${i.reason})\n`) })) builder.add(r);
        report = builder.report();
      }
      io.out(o.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : o.format === 'csv' ? toCsv(report) : toText(report));
    });
}

/** The first 16 columns are those of earlier releases, in the same order; the vendor cost parts follow. */
const CSV_COLUMNS = [
  'month', 'tenant', 'cost_center', 'requests', 'ok', 'errors', 'refused', 'cache_hits', 'input_tokens', 'output_tokens', 'cached_tokens', 'gpu_hours', 'vendor_usd', 'infra_usd', 'ops_usd', 'full_usd',
  'cache_write_tokens', 'cache_write_1h_tokens', 'reasoning_tokens', 'vendor_input_usd', 'vendor_cached_input_usd', 'vendor_cache_write_usd', 'vendor_output_usd', 'vendor_unsplit_usd', 'vendor_by_service_tier',
];

/** `flex=0.001200;priority=0.000300`: vendor dollars per served service tier. */
const tiersCell = (r: ChargebackRow): string => Object.entries(r.vendorByServiceTier).map(([k, v]) => `${k}=${usdExact(v)}`).join(';');

function csvRow(month: string, r: ChargebackRow): string {
  const cells = [
    month, r.tenant, r.costCenter, r.requests, r.ok, r.errors, r.refused, r.cacheHits, r.inputTokens, r.outputTokens, r.cachedTokens, r.gpuHours.toFixed(6), usdExact(r.vendorMicros), usdExact(r.infraMicros), usdExact(r.opsMicros), usdExact(r.fullMicros),
    r.cacheWriteTokens, r.cacheWrite1hTokens, r.reasoningTokens, usdExact(r.vendorInputMicros), usdExact(r.vendorCachedInputMicros), usdExact(r.vendorCacheWriteMicros), usdExact(r.vendorOutputMicros), usdExact(r.vendorUnsplitMicros), tiersCell(r),
  ];
  return cells.map(csvCell).join(',');
}

/** CSV: `#` comment lines state the allocation rule; then one row per tenant (sums to the invoice total). */
function toCsv(r: ChargebackReport): string {
  return [`# tollgate chargeback ${r.month}`, `# allocation: ${r.allocationRule}`, CSV_COLUMNS.join(','), ...r.tenants.map((t) => csvRow(r.month, t))].join('\n') + '\n';
}

const TEXT_HEADER = ['tenant', 'cost centre', 'requests', 'input tok', 'output tok', 'GPU-h', 'vendor', 'infra', 'ops', 'full'];

function textRow(r: ChargebackRow): string[] {
  const usd = (m: number) => `$${usdExact(m)}`;
  return [r.tenant, r.costCenter, String(r.requests), String(r.inputTokens), String(r.outputTokens), r.gpuHours.toFixed(4), usd(r.vendorMicros), usd(r.infraMicros), usd(r.opsMicros), usd(r.fullMicros)];
}

const PARTS_HEADER = ['tenant', 'cost centre', 'vendor', 'fresh input', 'cache reads', 'cache writes', 'output', 'unsplit', 'cache-write tok (1h)', 'reasoning tok', 'by service tier'];

/** The vendor column of the first table, split as vendors bill it. */
function partsRow(r: ChargebackRow): string[] {
  const usd = (m: number) => `$${usdExact(m)}`;
  const tiers = Object.entries(r.vendorByServiceTier).map(([k, v]) => `${k} ${usd(v)}`).join(', ');
  return [r.tenant, r.costCenter, usd(r.vendorMicros), usd(r.vendorInputMicros), usd(r.vendorCachedInputMicros), usd(r.vendorCacheWriteMicros), usd(r.vendorOutputMicros), usd(r.vendorUnsplitMicros), `${r.cacheWriteTokens} (${r.cacheWrite1hTokens})`, String(r.reasoningTokens), tiers || '-'];
}

function toText(r: ChargebackReport): string {
  const out = [
    `Chargeback ${r.month}\n`,
    `Allocation rule: ${r.allocationRule}\n\n`,
    renderTable(TEXT_HEADER, ['by tenant', ...r.tenants.map(textRow), 'by cost centre', ...r.costCenters.map(textRow), 'total', textRow(r.total)]),
    '\nVendor cost by part (fresh input + cache reads + cache writes + output + unsplit = vendor)\n\n',
    renderTable(PARTS_HEADER, ['by tenant', ...r.tenants.map(partsRow), 'by cost centre', ...r.costCenters.map(partsRow), 'total', partsRow(r.total)]),
  ];
  if (r.total.requests === 0) out.push(`\n(no requests in ${r.month}; ${r.skipped} records outside the month)\n`);
  return out.join('');
}
