/**
 * Quality feedback on a past request: a separate line kind in the decision log,
 * `{ "v": 1, "kind": "feedback", "requestId": "…", "score": 0.8, "time": "…" }`, appended by
 * `Tollgate.feedback(requestId, score)`. Decision records are never rewritten: `readDecisionLog` skips
 * feedback lines, {@link readFeedback} reads them, and {@link applyFeedback} merges the latest score per
 * request into the records' `feedback` field (what `tollgate tune` uses as observed quality).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { DecisionRecord } from './decision-record.js';
import { ValidationError } from './errors.js';

export const feedbackRecordSchema = z.object({
  v: z.literal(1),
  kind: z.literal('feedback'),
  requestId: z.string().min(1),
  score: z.number().min(0).max(1),
  time: z.string(),
});

export type FeedbackRecord = z.infer<typeof feedbackRecordSchema>;

/** Builds a feedback line; throws {@link ValidationError} for an empty id or a score outside [0, 1]. */
export function feedbackRecord(requestId: string, score: number, now: number): FeedbackRecord {
  const r = feedbackRecordSchema.safeParse({ v: 1, kind: 'feedback', requestId, score, time: new Date(now).toISOString() });
  if (!r.success) throw new ValidationError('feedback', r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}

/** True for a parsed log line that is a feedback line (not a decision record). */
export const isFeedbackLine = (value: unknown): boolean => !!value && typeof value === 'object' && (value as { kind?: unknown }).kind === 'feedback';

/** Streams the valid feedback lines of a decision log (everything else is ignored). */
export async function* readFeedback(path: string): AsyncGenerator<FeedbackRecord> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const text of lines) {
    if (!text.includes('"feedback"')) continue;
    try {
      const r = feedbackRecordSchema.safeParse(JSON.parse(text));
      if (r.success) yield r.data;
    } catch {
      // a torn or foreign line: not feedback
    }
  }
}

/** Records with `feedback` set from the latest feedback line (by time, then file order) of their request. Pure. */
export function applyFeedback(records: readonly DecisionRecord[], feedback: readonly FeedbackRecord[]): DecisionRecord[] {
  const latest = new Map<string, FeedbackRecord>();
  for (const f of feedback) {
    const prev = latest.get(f.requestId);
    if (!prev || f.time >= prev.time) latest.set(f.requestId, f);
  }
  return records.map((r) => (latest.has(r.requestId) ? { ...r, feedback: latest.get(r.requestId)!.score } : r));
}
