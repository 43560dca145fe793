/** `tollgate train --from-log`: a learned router retrained on production feedback (see offline/learning/log-training.ts). */
import { compilePolicy, GenaiPricesCatalog, loadPolicy } from '../../index.js';
import { createEmbedder } from '../../embeddings/index.js';
import { readLogTraining, trainSparseClassifier } from '../../offline/learning/index.js';
import { CliUsageError, type CliIo } from '../io.js';

/** Parses `--holdout` (a share in [0, 1)). */
export function parseHoldout(value: string): number {
  const x = Number(value);
  if (!(x >= 0 && x < 1)) throw new CliUsageError(`--holdout must be a share in [0, 1) (got "${value}")`);
  return x;
}

export async function trainFromLog(o: { fromLog: string; prompts?: string; policy?: string; holdout: string; out: string; seed: number }, io: CliIo): Promise<void> {
  if (!o.policy) throw new CliUsageError('--from-log needs --policy (its models are the labels)');
  const holdout = parseHoldout(o.holdout);
  const loaded = await loadPolicy(o.policy);
  const policy = compilePolicy(loaded, new GenaiPricesCatalog());
  const { train, heldOut, counts } = await readLogTraining(policy, o.fromLog, { prompts: o.prompts, holdout });
  io.out(`${o.fromLog}: ${counts.records} decision records, ${counts.answered} answered by a model, ${counts.withFeedback} with feedback, ${counts.withPrompt} of those with a captured prompt${counts.otherModels ? ` (${counts.otherModels} answered by a model not in the policy, left out)` : ''}\n`);
  io.out(`${train.rows.length} rows to train on, the latest ${heldOut.rows.length} held out for \`tollgate eval --from-log ... --holdout ${holdout}\`; labels of ${train.models.join(', ')} (each row scores the model that answered it)\n`);
  const manifest = await trainSparseClassifier({ data: train, outDir: o.out, embedder: await createEmbedder(), seed: o.seed, source: o.fromLog });
  const m = manifest.metrics.validation.logreg!;
  io.out(`logreg out-of-fold (${manifest.training.rows} rows, ${manifest.calibration!.folds} folds), best of ${manifest.metrics.candidates!.length} candidates, view ${m.view}: Brier skill against the prior ${m.score!.toFixed(3)} (Brier ${m.brier!.toFixed(4)})  params ${JSON.stringify(m.params)}\n`);
  io.out(`wrote ${o.out}: version ${manifest.version}, models ${manifest.models.join(', ')}; compare it with the live artefact before switching it on: tollgate eval --from-log ${o.fromLog} --policy ${o.policy} --artefact ${o.out} --holdout ${holdout}\n`);
}
