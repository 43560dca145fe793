/**
 * Training rows rebuilt from production (`tollgate train --from-log`): each answered request of a
 * decision log whose prompt was captured (policy `log: { prompts: true }`, engine/prompt-record.ts; or a
 * separate file of prompt lines, `--prompts`) and that received feedback (`Tollgate.feedback`, judge
 * scores; several lines for one request: the latest wins, engine/feedback.ts) becomes one labelled row:
 * the prompt, the model that answered, and its score. Only that model's cell is labelled — the others
 * are empty (production shows one answer per prompt) — so the rows are sparse and are trained with
 * {@link ./train-sparse.ts}. Cache hits, errors, refusals and embeddings requests are left out.
 *
 * Rows are ordered by request time; `holdout` keeps the latest share of them apart (train on the past,
 * check on the future), the same cut for `train` and `eval` on one log.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CompiledPolicy, DecisionRecord, PromptRecord } from '../../index.js';
import { applyFeedback, promptRecordSchema, readFeedback } from '../../index.js';
import { readDecisionLog } from '../reporting/index.js';
import { RoutingDataError } from './errors.js';
import type { LabeledData, LabeledRow } from './labeled-csv.js';

export interface LogTrainingOptions {
  /** A JSONL file of prompt lines kept apart from the log (read after the log's own prompt lines; a later line for the same request wins). */
  prompts?: string;
  /** Share of the latest rows held out (0 ≤ x < 1; default 0). */
  holdout?: number;
}

export interface LogTrainingData {
  /** Earlier rows (what `train --from-log` fits). */
  train: LabeledData;
  /** The latest `holdout` share (what `eval --from-log` scores). */
  heldOut: LabeledData;
  /** Why requests of the log did or did not become rows. */
  counts: { records: number; answered: number; withFeedback: number; withPrompt: number; rows: number; otherModels: number };
}

/** Streams the valid prompt lines of a file (everything else is ignored). */
export async function* readPromptLines(path: string): AsyncGenerator<PromptRecord> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (!text.includes('"prompt"')) continue;
      try {
        const r = promptRecordSchema.safeParse(JSON.parse(text));
        if (r.success) yield r.data;
      } catch {
        // a torn or foreign line: not a prompt line
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RoutingDataError(path, 'prompt file not found');
    throw err;
  }
}

/** Labelled rows of `log` under `policy` (see the module comment). */
export async function readLogTraining(policy: CompiledPolicy, log: string, o: LogTrainingOptions = {}): Promise<LogTrainingData> {
  const holdout = o.holdout ?? 0;
  if (!(holdout >= 0 && holdout < 1)) throw new RoutingDataError(log, `holdout must be in [0, 1) (got ${holdout})`, { field: 'holdout' });
  const records: DecisionRecord[] = [];
  for await (const r of readDecisionLog(log, { skipInvalid: true })) records.push(r);
  const feedback = [];
  for await (const f of readFeedback(log)) feedback.push(f);
  const prompts = new Map<string, PromptRecord>();
  for await (const p of readPromptLines(log)) prompts.set(p.requestId, p);
  if (o.prompts) for await (const p of readPromptLines(o.prompts)) prompts.set(p.requestId, p);
  const chat = new Set(policy.policy.models.filter((m) => m.operation !== 'embeddings').map((m) => m.id));
  const answered = records.filter((r) => r.outcome === 'ok' && r.model && !r.cache?.hit && r.operation !== 'embeddings');
  const labelled = applyFeedback(answered, feedback).filter((r) => r.feedback !== undefined);
  const usable = labelled.filter((r) => prompts.has(r.requestId));
  const rows: (LabeledRow & { time: string })[] = [];
  let otherModels = 0;
  for (const r of usable) {
    if (!chat.has(r.model!)) {
      otherModels++;
      continue;
    }
    const p = prompts.get(r.requestId)!;
    rows.push({ prompt: p.text, scores: { [r.model!]: r.feedback! }, costs: { [r.model!]: r.cost.full }, turns: p.turns, meta: { requestId: r.requestId, tenant: r.tenant, time: r.time }, time: r.time });
  }
  if (!rows.length) {
    throw new RoutingDataError(
      log,
      `no answered request has both feedback and a captured prompt (${answered.length} answered, ${labelled.length} with feedback, ${usable.length} of them with a prompt line); turn on \`log: { prompts: true }\` in the policy and send feedback with tollgate.feedback(requestId, score)`,
    );
  }
  rows.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const cut = rows.length - Math.round(rows.length * holdout);
  // Models: the policy's, in policy order, that answered at least one training row.
  const trainRows = rows.slice(0, cut).map(({ time: _t, ...row }) => row);
  const heldRows = rows.slice(cut).map(({ time: _t, ...row }) => row);
  const models = [...chat].filter((m) => trainRows.some((r) => r.scores[m] !== undefined));
  const data = (part: LabeledRow[], ms: string[]): LabeledData => ({ file: log, models: ms, rows: part, emptyCells: part.length * (ms.length - 1) });
  return {
    train: data(trainRows, models),
    heldOut: data(heldRows, [...chat].filter((m) => heldRows.some((r) => r.scores[m] !== undefined))),
    counts: { records: records.length, answered: answered.length, withFeedback: labelled.length, withPrompt: usable.length, rows: rows.length, otherModels },
  };
}
