import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { bundled } from '../bundled.js';
import { createTollgate } from '../../index.js';
import { SimulatedAdapter } from '../../index.js';
import type { DryRun } from '../../index.js';
import type { TollgateRequest } from '../../index.js';
import { traceRowToRequest } from '../../offline/simulation/index.js';
import { parseTraceLine, TraceRowError } from '../../offline/trace/index.js';
import { loadPolicy } from '../../index.js';
import { int, usd, withPolicyErrors } from '../format-table.js';
import { CliUsageError, type CliIo } from '../io.js';
import type { DecisionRecord } from '../../index.js';
import { findLoggedRecord } from '../../offline/reporting/index.js';
import { type DbOptions, logOrDb, withQueries } from './db-options.js';

/**
 * `tollgate explain --policy P REQUEST.json`: the dry-run decision for one request — classification,
 * the rule that fired, every candidate with its predicted cost and quality (and why it was excluded),
 * the chosen model and its fallback chain. Calls no model and touches no budget. REQUEST.json is a
 * Tollgate request (`{ tenant, messages, … }`) or one trace row (`{ timestamp, tenant, … }`).
 */
export function registerExplain(program: Command, io: CliIo): void {
  program
    .command('explain')
    .description('Show why a request goes where it goes under a policy (dry run: no model call, no budget).')
    .option('--policy <file>', 'policy file (.yaml, .json, .ts)')
    .argument('[request]', 'request JSON file: a Tollgate request or one trace row')
    .option('--id <requestId>', 'instead: show the logged decision of a past request (with --log or --db)')
    .option('--log <file>', 'decision log (JSONL) to look the request id up in')
    .option('--db <url>', 'PostgreSQL decision store to look the request id up in (postgres://…)')
    .option('--db-schema <name>', 'PostgreSQL schema of the decision store', 'tollgate')
    .option('--json', 'print the dry run (or the logged record) as one JSON object')
    .addHelpText(
      'after',
      '\nExample:\n  $ echo \'{"tenant":"acme","messages":[{"role":"user","content":"Summarize this report"}]}\' > req.json\n  $ tollgate explain --policy ' + bundled('policies/examples/cost-aware.ts') + ' req.json\n  $ tollgate explain --id REQUEST_ID --db postgres://tollgate@db:5432/tollgate',
    )
    .action(async (file: string | undefined, opts: { policy?: string; json?: boolean; id?: string; log?: string } & DbOptions) => {
      if (opts.id !== undefined) {
        if (file) throw new CliUsageError('give either a request file (dry run) or --id (a logged request), not both');
        const record = logOrDb(opts) === 'db' ? await withQueries(opts, (q) => q.record(opts.id!)) : await findLoggedRecord(opts.log!, opts.id);
        if (!record) throw new CliUsageError(`no logged request with id ${opts.id} in ${opts.db ? 'the PostgreSQL decision store' : opts.log}`, 1);
        io.out(opts.json ? `${JSON.stringify(record)}\n` : formatLogged(record));
        return;
      }
      const policy = opts.policy;
      if (!policy) throw new CliUsageError("required option '--policy <file>' not specified (or --id with --log/--db for a logged request)");
      if (!file) throw new CliUsageError("missing required argument 'request' (or --id with --log/--db for a logged request)");
      const request = readRequest(file);
      const dry = await withPolicyErrors(async () => {
        const sim = new SimulatedAdapter();
        const engine = createTollgate({ policy: await loadPolicy(policy), adapters: { 'openai-compatible': sim, anthropic: sim, simulated: sim } });
        return engine.decide(request);
      });
      io.out(opts.json ? `${JSON.stringify(dry)}\n` : formatDryRun(dry));
    });
}

function readRequest(file: string): TollgateRequest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliUsageError(code === 'ENOENT' ? `request file not found: ${file}` : `cannot read ${file} (${code})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliUsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliUsageError(`${file} must hold one JSON object (a request)`);
  if ('timestamp' in value) {
    const row = parseTraceLine(JSON.stringify(value), 1, file);
    if (row instanceof TraceRowError) throw new CliUsageError(`${file}: invalid trace row: ${row.reason}`);
    return traceRowToRequest(row);
  }
  return value as TollgateRequest;
}

function formatDryRun(d: DryRun): string {
  const c = d.classification;
  const lines = [
    `request ${d.requestId}: ${int(d.promptTokens)} prompt tokens`,
    `classified (${c.source}): task ${c.task}, complexity ${c.complexity.toFixed(2)}, ~${int(c.predictedOutputTokens)} output tokens`,
    `rule fired: ${d.rule}`,
    `chosen: ${d.model} (${d.tier}), predicted ${usd(d.predictedCostMicros)}, quality ${d.predictedQuality.toFixed(3)}`,
    `fallbacks: ${d.fallbackChain.length ? d.fallbackChain.join(' → ') : 'none'}`,
    '',
    'candidates (* chosen, + eligible, - excluded):',
    ...d.candidates.map(
      (x) => `  ${x.model === d.model ? '*' : x.eligible ? '+' : '-'} ${x.model.padEnd(24)} ${x.tier.padEnd(10)} ${usd(x.predictedCostMicros).padStart(10)}  q=${x.predictedQuality.toFixed(3)}${x.reason ? `  (${x.reason})` : ''}`,
    ),
    ...(d.selfHostedLatency.length
      ? ['', 'self-hosted service time (no queue; alone on a replica … in a full batch):', ...d.selfHostedLatency.map((l) => `  ${l.model.padEnd(24)} ${ms(l.aloneMs)} … ${ms(l.fullBatchMs)} at batch ${l.maxBatch}`)]
      : []),
    '',
    d.explanation,
  ];
  return `${lines.join('\n')}\n`;
}

const ms = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);

/** A logged decision: what was decided for a past request and what it cost. */
function formatLogged(r: DecisionRecord): string {
  const c = r.classification;
  const lines = [
    `request ${r.requestId} at ${r.time}: tenant ${r.tenant}${r.tags.length ? ` [${r.tags.join(', ')}]` : ''}, policy ${r.policy.name} ${r.policy.version}`,
    `outcome: ${r.outcome}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''}${r.cache?.hit ? `, cache hit (${r.cache.match}, saved ${usd(r.cache.savedMicros)})` : ''}`,
    c ? `classified (${c.source}): task ${c.task}, complexity ${c.complexity.toFixed(2)}, ~${int(c.predictedOutputTokens)} output tokens` : 'not classified',
    `rule fired: ${r.rule ?? '(none)'}`,
    `chosen: ${r.chosen ?? '(none)'}; answered by ${r.model ?? '(none)'}${r.tier ? ` (${r.tier})` : ''} after ${r.attempts} attempt(s)`,
    `fallbacks: ${r.fallbacks.length ? r.fallbacks.map((f) => `${f.model} (${f.code})`).join(' → ') : 'none'}`,
    `tokens: ${int(r.tokens.input)} in, ${int(r.tokens.output)} out, ${int(r.tokens.cached)} cached (${r.tokens.source})`,
    `cost: full ${usd(r.cost.full)} = vendor ${usd(r.cost.vendor)} + infra ${usd(r.cost.infra)} + ops ${usd(r.cost.ops)} (predicted ${usd(r.predictedCostMicros)}); latency ${r.latencyMs} ms`,
    ...(r.actions?.length ? [`actions: ${r.actions.join(', ')}`] : []),
    '',
    'candidates (* chosen, + eligible, - excluded):',
    ...r.candidates.map(
      (x) => `  ${x.model === r.chosen ? '*' : x.eligible ? '+' : '-'} ${x.model.padEnd(24)} ${x.tier.padEnd(10)} ${usd(x.predictedCostMicros).padStart(10)}  q=${x.predictedQuality.toFixed(3)}${x.reason ? `  (${x.reason})` : ''}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
