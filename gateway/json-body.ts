import type { FastifyInstance } from 'fastify';

/**
 * Whether a JSON text could spell a `__proto__` or `constructor` key: it holds `proto`, `constructor` or a
 * `\u` escape (through which any key can be written without its letters appearing as such). A text without
 * any of the three cannot, so parsing it with plain `JSON.parse` gives what fastify's protected parser gives.
 */
export const mayHoldPoisonKeys = (text: string): boolean => text.includes('proto') || text.includes('constructor') || text.includes('\\u');

/**
 * Replaces fastify's `application/json` parser with one that gives the same bodies and the same errors,
 * faster: fastify's (secure-json-parse, `__proto__` and `constructor` keys refused as 400) runs two
 * escape-aware regular expressions over every body after `JSON.parse` — ~25 µs on a 30 KB agent request.
 * Here a body that {@link mayHoldPoisonKeys} says cannot hold such a key is `JSON.parse`d alone; any other,
 * and any body plain parsing rejects (an empty one included), goes to fastify's own parser, so its checks
 * and its error (400, `FST_ERR_CTP_INVALID_JSON_BODY` / `FST_ERR_CTP_EMPTY_JSON_BODY`) are unchanged.
 */
export function useFastJsonBodies(app: FastifyInstance): void {
  const protectedParse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.length === 0 || mayHoldPoisonKeys(text)) return protectedParse(req, text, done);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return protectedParse(req, text, done); // the same text fails there too, with fastify's own error
    }
    done(null, value);
  });
}
