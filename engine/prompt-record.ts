/**
 * Opt-in prompt capture (policy `log: { prompts: true }`; off by default): after a request's decision
 * record, a separate line kind in the decision log holds its prompt text,
 * `{ "v": 1, "kind": "prompt", "requestId": "…", "text": "…", "turns": 1, "time": "…" }`, with
 * credentials removed (engine/redact.ts). It exists so that `tollgate train --from-log` can rebuild
 * training rows (prompt + the answering model + its feedback score); decision records themselves never
 * hold prompt text. Only answered requests that reached a model (not cache hits) are captured. Readers
 * of decision records skip these lines like feedback lines.
 */
import { z } from 'zod';
import { redactSecrets } from './redact.js';

export const promptRecordSchema = z.object({
  v: z.literal(1),
  kind: z.literal('prompt'),
  requestId: z.string().min(1),
  text: z.string(),
  /** Non-system messages of the request (1 for a single prompt): a prompt feature of the learned router. */
  turns: z.number().int().positive(),
  time: z.string(),
});

export type PromptRecord = z.infer<typeof promptRecordSchema>;

/** The prompt line of a request, secrets redacted. Pure. */
export function promptRecord(requestId: string, text: string, turns: number, now: number): PromptRecord {
  return { v: 1, kind: 'prompt', requestId, text: redactSecrets(text), turns: Math.max(1, turns), time: new Date(now).toISOString() };
}

/** True for a parsed log line that is a prompt line (not a decision record). */
export const isPromptLine = (value: unknown): boolean => !!value && typeof value === 'object' && (value as { kind?: unknown }).kind === 'prompt';

/**
 * Appends the prompt line of an answered request through the decision sink (which writes lines
 * opaquely). Best effort: a line that cannot be written is lost and the request stands (its record is
 * already durable).
 */
export async function capturePrompt(sink: { append(line: never): Promise<void> }, facts: { id: string; text: string; request: { messages: readonly { role: string }[] } }, now: number): Promise<void> {
  const turns = facts.request.messages.filter((m) => m.role !== 'system').length;
  await sink.append(promptRecord(facts.id, facts.text, turns, now) as never).catch(() => undefined);
}
