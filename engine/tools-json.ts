/**
 * The JSON text of a request's arrays (`messages`, `tools`), made or received once per array object.
 *
 * - The tool-count cache's key (engine/message-tokens.ts) and the body an OpenAI-compatible upstream
 *   receives (adapters/openai-compatible-adapter.ts) are the same text: twenty tool definitions are ~6 KB
 *   that took ~20-70 µs to serialise, twice per agent request.
 * - The gateway parses a request body once and remembers the text its `messages` and `tools` arrays were
 *   parsed from ({@link rememberJsonText}); the upstream then receives that text as is, not a second
 *   serialisation of a 30 KB history (docs/gateway.md, "Bodies as sent").
 *
 * Remembered per array object, so every request must have arrays of its own: {@link ownTools} gives it one
 * (requestFacts does), and a caller that changes an array it reuses between requests is then serialised
 * afresh. A text is remembered only for an array nothing changes afterwards (the gateway's parsed bodies).
 */
const texts = new WeakMap<readonly unknown[], string>();

/**
 * Remembers that `array` is what `JSON.parse` made of `text` (or an array whose JSON `text` is, value for
 * value): its JSON is then `text`, unserialised. The caller promises that the array and what it holds are
 * not changed afterwards.
 */
export function rememberJsonText(array: readonly unknown[], text: string): void {
  texts.set(array, text);
}

/** The JSON text remembered for `array` ({@link rememberJsonText}, {@link toolsJson}), if any. */
export function jsonTextOf(array: readonly unknown[]): string | undefined {
  return texts.get(array);
}

/**
 * `to` is a copy of `from`, value for value (the validated copy of a parsed array, a shallow copy): it
 * gets `from`'s remembered JSON text, if `from` has one. Returns `to`.
 */
export function carryJsonText<T extends readonly unknown[]>(from: readonly unknown[], to: T): T {
  const text = texts.get(from);
  if (text !== undefined) texts.set(to, text);
  return to;
}

/** `JSON.stringify(tools)`, remembered for this array object (or the text it was parsed from). */
export function toolsJson(tools: readonly object[]): string {
  let json = texts.get(tools);
  if (json === undefined) {
    json = JSON.stringify(tools);
    texts.set(tools, json);
  }
  return json;
}

/** The request with a tools array of its own (a shallow copy of the caller's; the request itself unchanged when it has none). */
export function ownTools<R extends { tools?: readonly object[] }>(request: R): R {
  return request.tools ? { ...request, tools: carryJsonText(request.tools, [...request.tools]) } : request;
}
