const PATTERNS: RegExp[] = [
  /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(sk|pk|rk|tg)-[A-Za-z0-9_-]{8,}/g,
  /\b(x-api-key|api[_-]?key|authorization)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi,
];

/** Matches wherever some pattern above could (a superset: case-insensitive, no length or separator checks). */
const MAY_HOLD_SECRET = /bearer|(?:sk|pk|rk|tg)-|api[_-]?key|authorization/i;

/** Removes credentials (bearer tokens, `sk-…` keys, api-key fields) from text bound for logs or errors. */
export function redactSecrets(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text; // one scan instead of three for the usual text (every refusal's message)
  let out = text;
  out = out.replace(PATTERNS[0]!, '$1 [redacted]');
  out = out.replace(PATTERNS[1]!, '$1-[redacted]');
  out = out.replace(PATTERNS[2]!, '$1$2[redacted]');
  return out;
}
