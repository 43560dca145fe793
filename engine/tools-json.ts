/**
 * The JSON text of a request's `tools` array, made once per array: the tool-count cache's key
 * (engine/message-tokens.ts) and the body an OpenAI-compatible upstream receives
 * (adapters/openai-compatible-adapter.ts) are the same text — twenty tool definitions are ~5 KB that
 * took ~20 µs to serialise, twice per agent request. Remembered per array object, so every request must
 * have an array of its own: {@link ownTools} gives it one (requestFacts does), and a caller that changes a
 * tools array it reuses between requests is then serialised afresh.
 */
const texts = new WeakMap<readonly object[], string>();

/** `JSON.stringify(tools)`, remembered for this array object. */
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
  return request.tools ? { ...request, tools: [...request.tools] } : request;
}
