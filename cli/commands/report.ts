import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { LedgerDimension } from '../../index.js';
import { hadOutage, type LogReport, reportDecisionLog, reportDecisionStore, type StoreOutageSummary, summariseStoreOutages } from '../../offline/reporting/index.js';
import { type DbOptions, logOrDb, withDbOptions, withQueries } from './db-options.js';
import { int, pct, renderTable, usd } from '../format-table.js';
import { CliUsageError, type CliIo } from '../io.js';

const DIMENSIONS = ['tenant', 'model', 'rule', 'day', 'tier', 'serviceTier'] as const;

/**
 * `tollgate report --log FILE`: the ledger rows of a decision log grouped by tenant, model, rule,
 * tier or day, token inflation (tokens per request per day and its trend) and the top tenant × model
 * cost drivers. Torn and invalid lines are skipped and counted.
 */
export function registerReport(program: Command, io: CliIo): void {
  withDbOptions(program
    .command('report')
    .description('Summarise a decision log: spend by tenant/model/rule/day, token inflation and top cost drivers.')
    .option('--log <file>', 'decision log (JSONL), e.g. from `tollgate simulate --out` or the gateway'))
    .option('--by <dimension>', `group rows by ${DIMENSIONS.join('|')}`, 'tenant')
    .option('--json', 'print one JSON object instead of tables')
    .addHelpText('after', '\nExamples:\n  $ tollgate report --log sim-logs/cost-aware.decisions.jsonl --by model\n  $ tollgate report --log tollgate-decisions.jsonl --by day --json\n  $ tollgate report --db postgres://tollgate@db:5432/tollgate --by tenant')
    .action(async (opts: { log?: string; by: string; json?: boolean } & DbOptions) => {
      if (!(DIMENSIONS as readonly string[]).includes(opts.by)) throw new CliUsageError(`--by must be one of ${DIMENSIONS.join(', ')}, got "${opts.by}"`);
      const by = opts.by as LedgerDimension;
      let report: LogReport;
      if (logOrDb(opts) === 'db') report = await withQueries(opts, (q) => reportDecisionStore(q, { by }));
      else {
        if (!existsSync(opts.log!)) throw new CliUsageError(`decision log not found: ${opts.log}`);
        report = await reportDecisionLog(opts.log!, { by });
      }
      if (report.total.requests === 0 && report.skipped.torn + report.skipped.invalid === 0) throw new CliUsageError(`decision log ${report.log} is empty`, 1);
      if (report.total.requests === 0) {
        const first = report.skipped.issues[0];
        const lines = report.skipped.torn + report.skipped.invalid;
        throw new CliUsageError(`${report.log} is not a decision log: none of its ${int(lines)} line${lines === 1 ? '' : 's'} is a decision record (line ${first?.line}: ${first?.reason})`, 1);
      }
      const outage = logOrDb(opts) === 'db' ? undefined : await summariseStoreOutages(opts.log!);
      if (opts.json) io.out(`${JSON.stringify(outage && hadOutage(outage) ? { ...report, storeOutage: outage } : report)}\n`);
      else io.out(formatReport(report) + (outage && hadOutage(outage) ? formatOutage(outage) : ''));
      const { torn, invalid } = report.skipped;
      if (torn + invalid > 0) io.err(`skipped ${int(invalid)} invalid and ${int(torn)} torn line${torn + invalid === 1 ? '' : 's'} (first: line ${report.skipped.issues[0]?.line}: ${report.skipped.issues[0]?.reason})\n`);
    });
}

/** The budget-store outage lines (only when the log shows one). */
function formatOutage(o: StoreOutageSummary): string {
  return (
    `\nbudget store outages: ${int(o.settleQueued.requests)} answered requests had their settle queued (${usd(o.settleQueued.fullMicros)} applied to the store when it returned), ` +
    `${int(o.failOpen.requests)} served fail-open (${usd(o.failOpen.fullMicros)}), ${int(o.refused)} refused with store_unavailable\n`
  );
}

function formatReport(r: LogReport): string {
  const t = r.total;
  const rows = [...r.rows, t].map((x) => [
    x === t ? 'total' : x.key,
    int(x.requests),
    int(x.refused),
    int(x.errors),
    int(x.inputTokens),
    int(x.outputTokens),
    usd(x.fullMicros),
    usd(x.vendorMicros),
    usd(x.infraMicros),
    usd(x.opsMicros),
    usd(x.fullPerMillionMicros),
    pct(x.cacheHitRatio),
    pct(x.fallbackRate),
  ]);
  let out = `decision log ${r.log}: ${int(t.requests)} requests, full cost ${usd(t.fullMicros)} (vendor ${usd(t.vendorMicros)})\n\n`;
  out += renderTable([r.by, 'requests', 'refused', 'errors', 'input tok', 'output tok', 'full', 'vendor', 'infra', 'ops', 'full/1M', 'cache hit', 'fallback'], rows);
  out += `\ntoken inflation (tokens per request per day): trend ${signed(r.inflation.trendPerDay)}/day, first→last day ${signed(r.inflation.firstToLast)}\n`;
  out += renderTable(
    ['day', 'requests', 'input/req', 'output/req', 'tokens/req'],
    r.inflation.days.map((d) => [d.day, int(d.requests), int(d.inputPerRequest), int(d.outputPerRequest), int(d.tokensPerRequest)]),
  );
  out += '\ntop cost drivers (tenant × model)\n';
  out += renderTable(
    ['tenant', 'model', 'requests', 'full cost', 'share'],
    r.topDrivers.map((d) => [d.tenant, d.model, int(d.requests), usd(d.fullMicros), pct(d.share)]),
  );
  return out;
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
