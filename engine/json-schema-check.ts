/**
 * A structural check of the JSON schemas a request carries (tool `parameters`, `response_format`
 * `json_schema.schema`): enough to refuse what every vendor refuses, before any model is called. It
 * checks the keywords' shapes (type names, `properties`, `items`, `required`, `enum`, combinators,
 * `$defs`), not the whole meta-schema; vendors add their own limits for strict mode.
 */

const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
const MAX_DEPTH = 64;

export interface SchemaIssue {
  path: (string | number)[];
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first problem of `schema`, or undefined. `topObject`: the top level must be `type: object` (tool parameters). */
export function jsonSchemaIssue(schema: Record<string, unknown>, topObject: boolean): SchemaIssue | undefined {
  if (topObject && schema.type !== undefined && schema.type !== 'object') return { path: ['type'], message: 'tool parameters must be a JSON schema of type "object"' };
  return check(schema, [], 0);
}

function check(s: unknown, path: (string | number)[], depth: number): SchemaIssue | undefined {
  if (typeof s === 'boolean') return undefined;
  if (!isObject(s)) return { path, message: 'a JSON schema must be an object' };
  if (depth > MAX_DEPTH) return { path, message: `schema nested deeper than ${MAX_DEPTH} levels` };
  const t = s.type;
  if (t !== undefined) {
    const list = Array.isArray(t) ? t : [t];
    if (list.length === 0 || !list.every((x) => typeof x === 'string' && TYPES.has(x))) return { path: [...path, 'type'], message: `unknown JSON schema type ${JSON.stringify(t)}` };
  }
  if (s.properties !== undefined) {
    if (!isObject(s.properties)) return { path: [...path, 'properties'], message: 'must be an object of schemas' };
    for (const [k, v] of Object.entries(s.properties)) {
      const bad = check(v, [...path, 'properties', k], depth + 1);
      if (bad) return bad;
    }
  }
  if (s.required !== undefined && !(Array.isArray(s.required) && s.required.every((x) => typeof x === 'string'))) return { path: [...path, 'required'], message: 'must be an array of property names' };
  if (s.enum !== undefined && !Array.isArray(s.enum)) return { path: [...path, 'enum'], message: 'must be an array' };
  if (s.items !== undefined) {
    const bad = Array.isArray(s.items) ? s.items.map((v, i) => check(v, [...path, 'items', i], depth + 1)).find(Boolean) : check(s.items, [...path, 'items'], depth + 1);
    if (bad) return bad;
  }
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    const v = s[k];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length === 0) return { path: [...path, k], message: 'must be a non-empty array of schemas' };
    const bad = v.map((x, i) => check(x, [...path, k, i], depth + 1)).find(Boolean);
    if (bad) return bad;
  }
  for (const k of ['$defs', 'definitions'] as const) {
    const v = s[k];
    if (v === undefined) continue;
    if (!isObject(v)) return { path: [...path, k], message: 'must be an object of schemas' };
    for (const [name, d] of Object.entries(v)) {
      const bad = check(d, [...path, k, name], depth + 1);
      if (bad) return bad;
    }
  }
  if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean') {
    const bad = check(s.additionalProperties, [...path, 'additionalProperties'], depth + 1);
    if (bad) return bad;
  }
  return undefined;
}
