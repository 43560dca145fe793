import { TollgateError, ValidationError } from './errors.js';
import type { TextMessage as ChatMessage } from './request.js';

/**
 * Default policy bound on a prompt's size before any counting (`defaults.maxPromptChars`): 2 Mi UTF-16
 * code units (JavaScript string length) across all messages' contents and names. At the heap BPE's
 * speed (docs/tokens.md) that bounds one request's counting work to about a second of a worker thread.
 */
export const DEFAULT_MAX_PROMPT_CHARS = 2 * 1024 * 1024;

/**
 * The prompt is larger than the policy allows (`defaults.maxPromptChars`): refused before it is counted,
 * classified or sent anywhere. `field` names the largest message field (e.g. `messages[3].content`).
 */
export class PromptTooLargeError extends TollgateError {
  constructor(readonly field: string, readonly chars: number, readonly limit: number) {
    super('prompt_too_large', `Prompt of ${chars} characters exceeds the policy's limit of ${limit} (defaults.maxPromptChars); largest field ${field}`, {
      field,
      chars,
      limit,
    });
  }
}

/** Total characters of a prompt (contents, roles and names), O(messages). */
export function promptChars(messages: readonly ChatMessage[]): number {
  let total = 0;
  for (const m of messages) total += m.content.length + m.role.length + (m.name?.length ?? 0);
  return total;
}

/** Throws {@link PromptTooLargeError} when the prompt exceeds `limit` characters. Returns its size. */
export function checkPromptSize(messages: readonly ChatMessage[], limit: number): number {
  const chars = promptChars(messages);
  if (chars <= limit) return chars;
  let field = 'messages';
  let largest = -1;
  messages.forEach((m, i) => {
    if (m.content.length > largest) [largest, field] = [m.content.length, `messages[${i}].content`];
    if ((m.name?.length ?? 0) > largest) [largest, field] = [m.name!.length, `messages[${i}].name`];
  });
  throw new PromptTooLargeError(field, chars, limit);
}

/**
 * Refuses an output cap no model of the policy could ever produce (larger than the largest context
 * window): `max_tokens: 1e12` is a malformed request (400), not a budget question (it used to be
 * reserved against the budget and refused as 429 `budget_exceeded`).
 */
export function checkOutputCap(maxOutputTokens: number | undefined, models: readonly { contextWindow: number }[]): void {
  if (maxOutputTokens === undefined) return;
  let largest = 0;
  for (const m of models) if (m.contextWindow > largest) largest = m.contextWindow;
  if (maxOutputTokens > largest) {
    throw new ValidationError('request', [{ path: 'maxOutputTokens', message: `${maxOutputTokens} exceeds the largest context window of the policy's models (${largest})` }]);
  }
}
