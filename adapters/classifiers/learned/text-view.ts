/**
 * What part of a prompt the learned classifier embeds. The embedder keeps only its first `maxTokens`
 * tokens and pools them, so a long prompt whose start is shared by many prompts (a 25-shot prefix, a
 * system prompt, a pasted document) embeds to nearly the same vector as every other one: the question
 * that varies is at the end. `tail` embeds the last `chars` characters, starting at a line break when
 * one is near the cut (the final question and its options). Prompts no longer than `chars` are embedded
 * whole either way. Pure.
 */
export interface TextView {
  kind: 'full' | 'tail';
  /** `tail`: characters kept from the end. */
  chars?: number;
}

export const DEFAULT_TAIL_CHARS = 1000;

export function viewText(text: string, view: TextView | undefined): string {
  if (!view || view.kind === 'full') return text;
  const chars = view.chars ?? DEFAULT_TAIL_CHARS;
  if (text.length <= chars) return text;
  let start = text.length - chars;
  // Start at a line (or paragraph) break in the first quarter of the window, so the tail opens on a whole line.
  const window = text.slice(start, start + Math.floor(chars / 4));
  const para = window.indexOf('\n\n');
  const line = window.indexOf('\n');
  if (para >= 0) start += para + 2;
  else if (line >= 0) start += line + 1;
  return text.slice(start);
}

export const sameView = (a: TextView | undefined, b: TextView | undefined): boolean => (a?.kind ?? 'full') === (b?.kind ?? 'full') && (a?.chars ?? DEFAULT_TAIL_CHARS) === (b?.chars ?? DEFAULT_TAIL_CHARS);
