import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { bundled } from '../bundled.js';
import { parseDocument, stringify } from 'yaml';
import { GenaiPricesCatalog } from '../../index.js';
import { buildReplayItems, replaysOutOfFold } from '../../offline/learning/index.js';
import { replayItemsFromLog } from '../../offline/learning/index.js';
import { loadPolicyClassifier } from '../../index.js';
import { compilePolicy } from '../../index.js';
import type { DecisionRecord } from '../../index.js';
import { readDecisionLog } from '../../offline/reporting/index.js';
import { applyFeedback, readFeedback } from '../../index.js';
import { choosePoint, parseTarget, type TunePoint, usdPer1MTokens } from '../../offline/learning/index.js';
import { parseCostColumns, parseScale, readLabeledFiles, RoutingEvaluationError } from '../../offline/learning/index.js';
import { floorGrid, type ReplayItem, replayAt, replayPinned, type SeparatingRule, separatingRule } from '../../offline/learning/index.js';
import { type LoadedPolicy, loadPolicy } from '../../index.js';
import { CliUsageError, type CliIo } from '../io.js';

/** Where the tuned policy goes: `--out`, else `<name>.tuned.<ext>` beside the input (`.ts` → `.yaml`). */
export function tunedPath(input: string, out?: string): string {
  if (out) return resolve(out);
  const ext = extname(input);
  const fmt = ext === '.json' || ext === '.yaml' || ext === '.yml' ? ext : '.yaml';
  return join(dirname(resolve(input)), `${basename(input, ext)}.tuned${fmt}`);
}

/** Writes the policy with the tuned floor, keeping the source's formatting (YAML comments too) where it can. */
function writeTunedPolicy(loaded: LoadedPolicy, sep: SeparatingRule, floor: number, out: string): void {
  const path = sep.index < 0 ? ['defaults', 'qualityFloor'] : ['rules', sep.index, 'qualityFloor'];
  const src = loaded.file!;
  const artifact = loaded.policy.classifier?.artifact;
  const movedArtifact = artifact && !isAbsolute(artifact) && dirname(out) !== dirname(src) ? relative(dirname(out), resolve(dirname(src), artifact)) : undefined;
  const ext = extname(src).toLowerCase();
  const outExt = extname(out).toLowerCase();
  if ((ext === '.yaml' || ext === '.yml') && outExt !== '.json') {
    const doc = parseDocument(readFileSync(src, 'utf8'));
    doc.setIn(path, floor);
    if (movedArtifact) doc.setIn(['classifier', 'artifact'], movedArtifact);
    writeFileSync(out, doc.toString());
    return;
  }
  const raw = ext === '.json' ? (JSON.parse(readFileSync(src, 'utf8')) as Record<string, unknown>) : (structuredClone(loaded.policy) as unknown as Record<string, unknown>);
  let node = raw as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string | number, unknown>;
  node[path[path.length - 1]!] = floor;
  if (movedArtifact) (raw.classifier as Record<string, unknown>).artifact = movedArtifact;
  writeFileSync(out, outExt === '.json' ? `${JSON.stringify(raw, null, 2)}\n` : stringify(raw));
}

export function registerTune(program: Command, io: CliIo): void {
  program
    .command('tune')
    .description("Calibrate the quality floor of a policy's weak/strong rule to a target by replaying logged or labeled requests; writes a new policy version.")
    .requiredOption('--policy <file>', 'policy to tune')
    .option('--log <file>', 'decision log to replay (feedback lines are used as observed quality)')
    .option('--data <files>', 'labeled CSV/JSONL to replay (prompt + one label column per model of the rule); several files comma-separated')
    .option('--scale <min-max>', 'range of graded scores, e.g. 1-10')
    .requiredOption('--target <target>', 'strong-share=X | quality=X (fraction of all-strong quality) | max-cost-per-1m=USD (blended, per 1M tokens)')
    .option('--strong <model>', 'strong model id')
    .option('--weak <model>', 'weak model id')
    .option('--out <file>', 'where to write the tuned policy (default: <name>.tuned.<ext> beside the input)')
    .addHelpText('after', '\nExample:\n  $ tollgate tune --policy ' + bundled('policies/examples/mmlu-learned.yaml') + ' --data labeled.csv --target strong-share=0.3')
    .action(async (o: { policy: string; log?: string; data?: string; scale?: string; target: string; strong?: string; weak?: string; out?: string }) => {
      if (!!o.log === !!o.data) throw new CliUsageError('give exactly one of --log FILE or --data FILE');
      const target = parseTarget(o.target);
      const loaded = await loadPolicy(o.policy);
      const policy = compilePolicy(loaded, new GenaiPricesCatalog());
      const sep = separatingRule(policy, o.weak, o.strong);
      let items: ReplayItem[];
      let withFeedback = 0;
      let outOfFold = false;
      let grid: string | string[] = sep.weak;
      if (o.data) {
        // Every candidate of the rule must be labeled: a replayed choice of an unlabeled model cannot be scored.
        const ids = (sep.index < 0 ? policy.defaultRule : policy.rules[sep.index]!).candidates.map((c) => c.id);
        const raw = readLabeledFiles(o.data.split(',').map((s) => s.trim()).filter(Boolean), { scale: o.scale ? parseScale(o.scale) : undefined, costColumns: parseCostColumns([]) });
        const missing = ids.filter((id) => !raw.models.includes(id));
        if (missing.length) throw new RoutingEvaluationError(`rule "${sep.rule}" can route to ${missing.join(', ')}, which ${missing.length > 1 ? 'have' : 'has'} no label column in ${o.data}`, { missing });
        const data = { ...raw, models: raw.models.filter((m) => policy.byId.has(m)) };
        const classifier = await loadPolicyClassifier(loaded);
        outOfFold = replaysOutOfFold(classifier, data);
        items = (await buildReplayItems(policy, data, classifier)).filter((it) => ids.every((id) => it.observed?.[id] !== undefined));
        grid = ids;
      } else {
        const records: DecisionRecord[] = [];
        for await (const r of readDecisionLog(o.log!, { skipInvalid: true })) records.push(r);
        const feedback = [];
        for await (const f of readFeedback(o.log!)) feedback.push(f);
        items = replayItemsFromLog(policy, applyFeedback(records, feedback), sep.weak, sep.strong);
        withFeedback = items.filter((i) => i.observed).length;
      }
      if (!items.length) throw new CliUsageError(`nothing to replay: no requests routed between ${sep.weak} and ${sep.strong}`, 1);
      const rule = sep.index < 0 ? policy.defaultRule : policy.rules[sep.index]!;
      const before = replayAt(policy, sep, items, rule.qualityFloor);
      const allStrong = replayPinned(policy, items, sep.strong, sep.strong);
      const points: TunePoint[] = floorGrid(items, grid).map((f) => replayAt(policy, sep, items, f));
      const chosen = choosePoint(points, target, allStrong);
      const floor = Math.min(1, Math.round(chosen.threshold! * 1e9) / 1e9);
      const after = replayAt(policy, sep, items, floor);
      const out = tunedPath(o.policy, o.out);
      writeTunedPolicy(loaded, sep, floor, out);
      const written = await loadPolicy(out);
      const row = (name: string, p: TunePoint, f: number) =>
        `${name.padEnd(7)} floor ${f.toFixed(4)}  strong share ${(p.strongShare * 100).toFixed(1).padStart(5)}%  quality ${p.quality.toFixed(4)}  cost ${Math.round(p.cost)} µ$/req ($${usdPer1MTokens(p).toFixed(3)}/1M tokens)\n`;
      const how = o.log ? ` (${withFeedback} with feedback)` : outOfFold ? " (the classifier's training rows: out-of-fold predictions)" : '';
      io.out(`replayed ${items.length} requests${how} through rule "${sep.rule}" (${sep.weak} vs ${sep.strong}), target ${o.target}\n`);
      io.out(row('before', before, rule.qualityFloor));
      io.out(row('after', after, floor));
      io.out(`wrote ${out}: policy "${written.policy.name}" version ${written.version} (was ${loaded.version})\n`);
    });
}
