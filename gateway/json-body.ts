import type { FastifyInstance } from 'fastify';
import { rememberJsonText } from '../index.js';
import { topLevelArrayTexts } from './top-level-arrays.js';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Whether a parsed JSON value holds an object with an own `__proto__` or `constructor` key anywhere —
 * the keys fastify's protected parser (secure-json-parse, `error` actions) refuses. A walk over the parsed
 * objects: on a 30 KB agent request it costs ~5 µs, where secure-json-parse's two escape-aware regular
 * expressions over the text cost ~15 µs and searching the text for the keys' letters costs more still.
 */
export function holdsPoisonKeys(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const pending: object[] = [value];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (Array.isArray(node)) {
      for (const v of node) if (v !== null && typeof v === 'object') pending.push(v);
      continue;
    }
    if (hasOwn.call(node, '__proto__') || hasOwn.call(node, 'constructor')) return true;
    for (const key in node) {
      const v = (node as Record<string, unknown>)[key];
      if (v !== null && typeof v === 'object') pending.push(v);
    }
  }
  return false;
}

/** Bodies from this size on keep their arrays' texts (below it, serialising them again costs less than the scan). */
const KEEP_TEXTS_FROM = 2048;
const KEPT = new Set(['messages', 'tools']);

/**
 * Remembers the source text of the body's `messages` and `tools` arrays (engine/tools-json.ts), so that an
 * OpenAI-compatible upstream receives them as the client sent them, not serialised a second time.
 */
function keepArrayTexts(value: unknown, text: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const texts = topLevelArrayTexts(text, KEPT);
  if (!texts) return;
  for (const [key, arrayText] of texts) {
    const array = (value as Record<string, unknown>)[key];
    if (Array.isArray(array)) rememberJsonText(array, arrayText);
  }
}

/**
 * Replaces fastify's `application/json` parser with one that gives the same bodies and the same errors,
 * faster: the text is `JSON.parse`d once and the parsed objects are checked for `__proto__` and
 * `constructor` keys ({@link holdsPoisonKeys}) instead of running fastify's parser (secure-json-parse) with
 * its regular expressions over the text. A body with such a key, an empty body and a body plain parsing
 * rejects go to fastify's own parser, so its checks and its errors (400, `FST_ERR_CTP_INVALID_JSON_BODY` /
 * `FST_ERR_CTP_EMPTY_JSON_BODY`) are unchanged.
 */
export function useFastJsonBodies(app: FastifyInstance): void {
  const protectedParse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.length === 0) return protectedParse(req, text, done);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return protectedParse(req, text, done); // the same text fails there too, with fastify's own error
    }
    if (holdsPoisonKeys(value)) return protectedParse(req, text, done);
    if (text.length >= KEEP_TEXTS_FROM) keepArrayTexts(value, text);
    done(null, value);
  });
}
