/**
 * Exact-dedup key: texts that normalise to the same string are the same content and are embedded once.
 * Normalisation: Unicode NFKC, whitespace runs → one space, trimmed. Case and punctuation are kept
 * (they can change meaning). The vector stored for a hash is the embedding of the normalised text.
 */
import { createHash } from 'node:crypto';

export function normaliseText(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

/** Hex sha256 of the normalised text. */
export function contentHash(text: string): string {
  return createHash('sha256').update(normaliseText(text), 'utf8').digest('hex');
}
