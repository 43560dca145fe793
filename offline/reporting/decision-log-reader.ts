import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { TollgateError } from '../../index.js';
import { type DecisionRecord, decisionRecordSchema } from '../../index.js';
import { isFeedbackLine, isPromptLine } from '../../index.js';

export interface LogReadIssue {
  line: number;
  reason: string;
  /** True for an incomplete final line (a write torn by a crash); it is skipped. */
  torn: boolean;
}

/**
 * Streams a JSONL decision log. A torn last line (no trailing newline, unparsable) is skipped and
 * reported through `onIssue` with `torn: true`; a bad line in the middle is an error
 * ({@link TollgateError} `decision_log_corrupt`) unless `skipInvalid` is set, in which case it is reported.
 * Feedback lines (`kind: "feedback"`, see engine/feedback.ts) are skipped; read them with `readFeedback`.
 */
export async function* readDecisionLog(
  path: string,
  opts: { onIssue?: (issue: LogReadIssue) => void; skipInvalid?: boolean } = {},
): AsyncGenerator<DecisionRecord> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let pending: { n: number; text: string } | undefined;
  let n = 0;
  const parse = (p: { n: number; text: string }, isLast: boolean): DecisionRecord | undefined => {
    if (p.text.trim() === '') return undefined;
    let reason: string;
    try {
      const value: unknown = JSON.parse(p.text);
      if (isFeedbackLine(value) || isPromptLine(value)) return undefined; // feedback and prompt lines: see readFeedback, readLogTraining
      const r = decisionRecordSchema.safeParse(value);
      if (r.success) return r.data;
      reason = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    } catch (e) {
      reason = `invalid JSON (${(e as Error).message})`;
    }
    const issue = { line: p.n, reason, torn: isLast };
    if (isLast || opts.skipInvalid) {
      opts.onIssue?.(issue);
      return undefined;
    }
    throw new TollgateError('decision_log_corrupt', `${path}:${p.n}: ${reason}`, { path, line: p.n, reason });
  };
  try {
    for await (const text of lines) {
      n++;
      if (pending) {
        const r = parse(pending, false);
        if (r) yield r;
      }
      pending = { n, text };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TollgateError('file_not_found', `Decision log not found: ${path}`, { path });
    throw err;
  }
  if (pending) {
    const r = parse(pending, true);
    if (r) yield r;
  }
}
