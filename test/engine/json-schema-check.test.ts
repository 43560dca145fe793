import { describe, expect, it } from 'vitest';
import { jsonSchemaIssue } from '../../engine/json-schema-check.js';

/** The structural JSON-schema check names the path of the first problem, however deep. */
describe('jsonSchemaIssue', () => {
  it('accepts well-formed schemas (nested properties, items, combinators, $defs, boolean schemas)', () => {
    const ok = {
      type: 'object',
      properties: { a: { type: ['string', 'null'] }, b: { type: 'array', items: { anyOf: [{ type: 'integer' }, true] } }, c: { $ref: '#/$defs/x' } },
      required: ['a'],
      additionalProperties: { type: 'number' },
      $defs: { x: { enum: [1, 2] } },
    };
    expect(jsonSchemaIssue(ok, true)).toBeUndefined();
    expect(jsonSchemaIssue({}, false)).toBeUndefined();
  });

  it.each([
    [{ type: 'string' }, true, ['type'], 'tool parameters must be a JSON schema of type "object"'],
    [{ type: 'objekt' }, false, ['type'], 'unknown JSON schema type "objekt"'],
    [{ type: [] }, false, ['type'], 'unknown JSON schema type []'],
    [{ properties: [] }, false, ['properties'], 'must be an object of schemas'],
    [{ properties: { a: { properties: { b: 1 } } } }, false, ['properties', 'a', 'properties', 'b'], 'a JSON schema must be an object'],
    [{ items: [{ type: 'string' }, { type: 'x' }] }, false, ['items', 1, 'type'], 'unknown JSON schema type "x"'],
    [{ properties: { a: { items: { oneOf: [{}, { required: 'a' }] } } } }, false, ['properties', 'a', 'items', 'oneOf', 1, 'required'], 'must be an array of property names'],
    [{ allOf: [] }, false, ['allOf'], 'must be a non-empty array of schemas'],
    [{ $defs: { d: { enum: 'a' } } }, false, ['$defs', 'd', 'enum'], 'must be an array'],
    [{ definitions: { d: { additionalProperties: null } } }, false, ['definitions', 'd', 'additionalProperties'], 'a JSON schema must be an object'],
  ] as const)('refuses %j naming the path', (schema, top, path, message) => {
    expect(jsonSchemaIssue(schema as Record<string, unknown>, top)).toEqual({ path, message });
  });

  it('bounds nesting depth', () => {
    let s: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 70; i++) s = { items: s };
    const bad = jsonSchemaIssue(s, false)!;
    expect(bad.message).toBe('schema nested deeper than 64 levels');
    expect(bad.path).toEqual(Array(65).fill('items'));
  });
});
