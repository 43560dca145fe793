import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createTollgate } from '../../index.js';
import { SimulatedAdapter } from '../../index.js';
import type { DryRun } from '../../index.js';
import type { TollgateRequest } from '../../index.js';
import { traceRowToRequest } from '../../offline/simulation/index.js';
import { parseTraceLine, TraceRowError } from '../../offline/trace/index.js';
import { loadPolicy } from '../../index.js';
import { int, usd, withPolicyErrors } from '../format-table.js';
import { CliUsageError, type CliIo } from '../io.js';

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
    .requiredOption('--policy <file>', 'policy file (.yaml, .json, .ts)')
    .argument('<request>', 'request JSON file: a Tollgate request or one trace row')
    .option('--json', 'print the dry run as one JSON object')
    .addHelpText(
      'after',
      '\nExample:\n  $ echo \'{"tenant":"acme","messages":[{"role":"user","content":"Summarize this report"}]}\' > req.json\n  $ tollgate explain --policy policies/examples/cost-aware.ts req.json',
    )
    .action(async (file: string, opts: { policy: string; json?: boolean }) => {
      const request = readRequest(file);
      const dry = await withPolicyErrors(async () => {
        const sim = new SimulatedAdapter();
        const engine = createTollgate({ policy: await loadPolicy(opts.policy), adapters: { 'openai-compatible': sim, anthropic: sim, simulated: sim } });
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
    '',
    d.explanation,
  ];
  return `${lines.join('\n')}\n`;
}
