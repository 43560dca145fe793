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
  return check(schema, 0);
}

/** `issue` found under `segments` (paths are built only for a problem found: the common valid schema allocates none). */
function under(issue: SchemaIssue | undefined, ...segments: (string | number)[]): SchemaIssue | undefined {
  if (issue) issue.path.unshift(...segments);
  return issue;
}

const problem = (message: string, ...path: (string | number)[]): SchemaIssue => ({ path, message });

function check(s: unknown, depth: number): SchemaIssue | undefined {
  if (typeof s === 'boolean') return undefined;
  if (!isObject(s)) return problem('a JSON schema must be an object');
  if (depth > MAX_DEPTH) return problem(`schema nested deeper than ${MAX_DEPTH} levels`);
  const t = s.type;
  if (t !== undefined && !(typeof t === 'string' ? TYPES.has(t) : Array.isArray(t) && t.length > 0 && t.every((x) => typeof x === 'string' && TYPES.has(x)))) {
    return problem(`unknown JSON schema type ${JSON.stringify(t)}`, 'type');
  }
  if (s.properties !== undefined) {
    const bad = schemasIn(s.properties, 'properties', depth);
    if (bad) return bad;
  }
  if (s.required !== undefined && !(Array.isArray(s.required) && s.required.every((x) => typeof x === 'string'))) return problem('must be an array of property names', 'required');
  if (s.enum !== undefined && !Array.isArray(s.enum)) return problem('must be an array', 'enum');
  if (s.items !== undefined) {
    if (Array.isArray(s.items)) {
      for (let i = 0; i < s.items.length; i++) {
        const bad = under(check(s.items[i], depth + 1), 'items', i);
        if (bad) return bad;
      }
    } else {
      const bad = under(check(s.items, depth + 1), 'items');
      if (bad) return bad;
    }
  }
  for (const k of COMBINATORS) {
    const v = s[k];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length === 0) return problem('must be a non-empty array of schemas', k);
    for (let i = 0; i < v.length; i++) {
      const bad = under(check(v[i], depth + 1), k, i);
      if (bad) return bad;
    }
  }
  for (const k of DEFINITIONS) {
    if (s[k] === undefined) continue;
    const bad = schemasIn(s[k], k, depth);
    if (bad) return bad;
  }
  if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean') {
    const bad = under(check(s.additionalProperties, depth + 1), 'additionalProperties');
    if (bad) return bad;
  }
  return undefined;
}

const COMBINATORS = ['anyOf', 'oneOf', 'allOf'] as const;
const DEFINITIONS = ['$defs', 'definitions'] as const;

/** The first problem of an object of named schemas (`properties`, `$defs`) found under `key`. */
function schemasIn(v: unknown, key: string, depth: number): SchemaIssue | undefined {
  if (!isObject(v)) return problem('must be an object of schemas', key);
  for (const name in v) {
    if (!Object.hasOwn(v, name)) continue;
    const bad = under(check(v[name], depth + 1), key, name);
    if (bad) return bad;
  }
  return undefined;
}
