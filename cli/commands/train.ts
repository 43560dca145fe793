import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { observationsFromLog, fitOutputLength } from '../../index.js';
import { trainClassifier } from '../../offline/learning/index.js';
import { createEmbedder } from '../../embeddings/index.js';
import { readDecisionLog } from '../../offline/reporting/index.js';
import { parseCostColumns, parseScale, readLabeledFiles } from '../../offline/learning/index.js';
import { CliUsageError, type CliIo } from '../io.js';
import { trainFromLog } from './train-log.js';

export function registerTrain(program: Command, io: CliIo): void {
  program
    .command('train')
    .description('Train a learned quality classifier (kNN over LanceDB and/or an ONNX logistic-regression head) from labeled prompts.')
    .option('--data <files>', 'CSV or JSONL with a prompt column and one label column per model (True/False or a score); several files comma-separated (same models)')
    .option('--from-log <file>', "train on production instead: a decision log's answered requests with feedback and a captured prompt (policy `log: { prompts: true }`), labelled by the model that answered (needs --policy)")
    .option('--prompts <file>', '--from-log: prompt lines kept in a separate JSONL file')
    .option('--policy <file>', "--from-log: the policy whose models are the labels")
    .option('--holdout <share>', '--from-log: share of the latest labelled requests left out for `eval --from-log`', '0.2')
    .requiredOption('--out <dir>', 'artefact directory to write (replaced)')
    .option('--method <method>', 'knn | logreg | both (both: keep the better out-of-fold)', 'both')
    .option('--seed <n>', 'seed of the validation split', '1')
    .option('--models <ids>', 'comma-separated model columns (default: every column of labels; cost-like names excluded)')
    .option('--scale <min-max>', 'range of graded scores, e.g. 1-10 (rescaled to [0, 1])')
    .option('--cost-column <model=column>', 'per-prompt cost column (US dollars) of a model; repeatable (default: <model>|total_cost and similar names)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--no-costs', "ignore the data's cost columns")
    .option('--log <file>', 'decision log to learn per-task output lengths from')
    .addHelpText('after', '\nExamples:\n  $ tollgate train --data labeled.csv --out models/mmlu-router --method both\n  $ tollgate train --from-log decisions.jsonl --policy policy.yaml --out models/router-v2')
    .action(async (o: { data?: string; fromLog?: string; prompts?: string; policy?: string; holdout: string; out: string; method: string; seed: string; models?: string; log?: string; scale?: string; costColumn: string[]; costs: boolean }) => {
      if (!['knn', 'logreg', 'both'].includes(o.method)) throw new CliUsageError(`--method must be knn, logreg or both (got "${o.method}")`);
      const seed = Number(o.seed);
      if (!Number.isInteger(seed)) throw new CliUsageError(`--seed must be an integer (got "${o.seed}")`);
      if (!!o.data === !!o.fromLog) throw new CliUsageError('give exactly one of --data (labelled files) and --from-log (a decision log)');
      if (o.fromLog) return trainFromLog({ fromLog: o.fromLog, prompts: o.prompts, policy: o.policy, holdout: o.holdout, out: o.out, seed }, io);
      const data = readLabeledFiles(o.data!.split(',').map((s) => s.trim()).filter(Boolean), {
        models: o.models?.split(',').map((s) => s.trim()),
        scale: o.scale ? parseScale(o.scale) : undefined,
        costColumns: parseCostColumns(o.costColumn),
        costs: o.costs,
      });
      if (data.emptyCells) io.out(`${data.emptyCells} empty label cells skipped (filled with the model's mean for training)\n`);
      let outputLength;
      if (o.log) {
        const records = [];
        for await (const r of readDecisionLog(o.log, { skipInvalid: true })) records.push(r);
        outputLength = fitOutputLength(observationsFromLog(records));
      }
      const embedder = await createEmbedder();
      const bar = io.isTty ? new cliProgress.SingleBar({ format: '{phase} [{bar}] {value}/{total}', stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
      let phase = '';
      const manifest = await trainClassifier({
        data,
        outDir: o.out,
        embedder,
        method: o.method as 'knn' | 'logreg' | 'both',
        seed,
        outputLength,
        onProgress: (p, done, total) => {
          if (!bar) return;
          if (p !== phase) {
            if (phase) bar.stop();
            phase = p;
            bar.start(total, done, { phase: p.padEnd(12) });
          } else bar.update(done);
        },
      });
      bar?.stop();
      const v = manifest.metrics.validation;
      for (const [method, m] of Object.entries(v)) {
        const nModel = m.aiq !== undefined ? `  AIQ ${m.aiq.toFixed(4)} (zero router ${m.zeroAiq!.toFixed(4)}, oracle ${m.oracleAiq!.toFixed(4)}; gap recovered ${m.score!.toFixed(3)})` : '';
        io.out(`${method.padEnd(7)} out-of-fold (${manifest.training.validationRows} rows, ${manifest.calibration?.folds ?? 5} ${manifest.training.split} folds), best of ${(manifest.metrics.candidates ?? []).filter((c) => ('k' in c.params) === (method === 'knn')).length} candidates, view ${m.view ?? 'full'}: APGR ${m.apgr.toFixed(3)} (weakest → strongest)${nModel}  params ${JSON.stringify(m.params)}\n`);
      }
      if (manifest.calibration) io.out(`calibration: out-of-fold predictions for all ${manifest.training.rows} rows (${manifest.calibration.folds} ${manifest.calibration.by} folds), used by tune on this data and by the traffic-rank scale\n`);
      io.out(`wrote ${o.out}: method ${manifest.method}${manifest.textView ? `, embeds the last ${manifest.textView.chars} characters of long prompts` : ''}${manifest.costs ? ', mean training costs per model' : ''}, version ${manifest.version}, models ${manifest.models.join(', ')}${manifest.outputLength ? `, output lengths for ${Object.keys(manifest.outputLength.byTask).length} tasks` : ''}\n`);
    });
}
