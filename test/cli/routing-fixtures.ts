import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './capture-io.js';

export const FIX = join(import.meta.dirname, '../fixtures/routing');
export const TRAIN = join(FIX, 'mmlu_train_sample.csv');
export const EVAL = join(FIX, 'mmlu_eval_sample.csv');
export const WEAK = 'mistralai/Mixtral-8x7B-Instruct-v0.1';
export const STRONG = 'gpt-4-1106-preview';

/** A temp dir with a logreg artefact trained on the fixture and a copy of the MMLU example policy pointing at it. */
export async function trainedPolicy(prefix: string): Promise<{ dir: string; policy: string; artifact: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const artifact = join(dir, 'router');
  const r = await cli('train', '--data', TRAIN, '--out', artifact, '--method', 'logreg', '--seed', '1');
  if (r.code !== 0) throw new Error(`train failed: ${r.err}`);
  const src = readFileSync(join(import.meta.dirname, '../../policies/examples/mmlu-learned.yaml'), 'utf8');
  const policy = join(dir, 'mmlu.yaml');
  writeFileSync(policy, src.replace('artifact: ../../examples/routing/mmlu-router', 'artifact: ./router'));
  return { dir, policy, artifact };
}
