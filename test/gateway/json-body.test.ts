import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdsPoisonKeys, useFastJsonBodies } from '../../gateway/json-body.js';

/** An app that echoes the parsed body, or the parser's error (status, code, message). */
function echo(fast: boolean): FastifyInstance {
  const app = Fastify();
  if (fast) useFastJsonBodies(app);
  app.post('/', async (req) => ({ body: req.body, proto: Object.getPrototypeOf(req.body ?? {}) === Object.prototype }));
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => reply.code(err.statusCode ?? 500).send({ code: err.code, message: err.message }));
  return app;
}

const bodies = [
  '{"model":"auto","messages":[{"role":"user","content":"hi"}]}',
  '{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"d\\n\\"e\\""}}',
  '"a string"',
  '42',
  '[]',
  '',
  '   ',
  '{"a":',
  '{"a":1,}',
  '{"__proto__":{"polluted":1},"model":"x"}',
  '{"model":"x","constructor":{"prototype":{"polluted":1}}}',
  '{"\\u005f_proto__":{"polluted":1}}',
  '{"\\u005f\\u005f\\u0070\\u0072\\u006f\\u0074\\u006f\\u005f\\u005f":{"polluted":1}}',
  '{"c\\u006fnstructor":{"prototype":{"x":1}}}',
  '{"content":"the constructor of a class"}',
  '{"content":"caf\\u00e9"}',
  '{"content":"prototype ok"}',
  '{"a":{"constructor":null}}',
  '{"a":{"constructor":"x"}}',
  '{"a":[{"constructor":{"prototype":1}}]}',
  `{"big":"${'x'.repeat(40_000)}"}`,
];

describe('useFastJsonBodies', () => {
  const plain = echo(false);
  const fast = echo(true);
  beforeAll(async () => {
    await plain.ready();
    await fast.ready();
  });
  afterAll(async () => {
    await plain.close();
    await fast.close();
  });

  it('answers every body as fastify’s own parser does: the same value, status, error code and message', async () => {
    for (const payload of bodies) {
      const send = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload });
      const [a, b] = await Promise.all([send(plain), send(fast)]);
      expect({ payload: payload.slice(0, 60), status: b.statusCode, body: b.body }).toEqual({ payload: payload.slice(0, 60), status: a.statusCode, body: a.body });
    }
  });

  it('large bodies whose elements it has parsed before: the same answers, valid or not, over repeated sends', async () => {
    const note = (i: number) => ({ role: 'tool', tool_call_id: `c${i}`, content: JSON.stringify({ rows: Array.from({ length: 12 }, (_, r) => ({ r, note: `row ${r} of ${i} "quoted" \\ text` })) }) });
    const history = Array.from({ length: 8 }, (_, i) => note(i));
    const tools = Array.from({ length: 6 }, (_, i) => ({ type: 'function', function: { name: `t${i}`, description: 'x'.repeat(300), parameters: { type: 'object' } } }));
    const good = (extra: unknown[]) => JSON.stringify({ model: 'auto', messages: [...history, ...extra], tools });
    const m0 = JSON.stringify(history[0]);
    const variants = [
      good([]),
      good([{ role: 'user', content: 'new' }]),
      JSON.stringify({ messages: history, model: 'x', messages2: history, tools: [tools[0], tools[0]] }, null, 2),
      good([]).replace(m0, `${m0} x`), // garbage right after an element seen before
      good([]).replace(m0, `${m0},`).replace(/]}$/, ',]}'), // trailing comma in the array
      good([]).replace('"messages":[', '"messages":[1,'), // an element that is no object
      good([]).replace(m0, m0.slice(0, -1)), // an element cut short
      `{"messages":${JSON.stringify(history)},"messages":"then a string","tools":${JSON.stringify(tools)}}`,
      `{"messages":${JSON.stringify(history)},"messages":${JSON.stringify(history.slice(1))}}`,
      `{"messages":[${JSON.stringify({ ...history[1], constructor: { prototype: { polluted: 1 } } })}],"tools":${JSON.stringify(tools)}}`,
      good([]).replace(m0, JSON.stringify({ ...history[0], __proto__: 1 }).replace('"__proto__"', '"\\u005f_proto__"')),
      `${good([])} trailing`,
    ];
    for (let round = 0; round < 3; round++) {
      for (const payload of variants) {
        const send = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload });
        const [a, b] = await Promise.all([send(plain), send(fast)]);
        expect({ round, payload: payload.slice(-80), status: b.statusCode, body: b.body }).toEqual({ round, payload: payload.slice(-80), status: a.statusCode, body: a.body });
      }
    }
  });

  it('refuses __proto__ and constructor keys, escaped or not, with a 400', async () => {
    for (const payload of [bodies[9]!, bodies[10]!, bodies[11]!, bodies[12]!, bodies[13]!]) {
      const r = await fast.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload });
      expect(r.statusCode, payload).toBe(400);
    }
  });

  it('finds a __proto__ or constructor key at any depth, in objects and arrays', () => {
    expect(holdsPoisonKeys(JSON.parse('{"a":[{"b":{"c":1}}],"d":"__proto__"}'))).toBe(false);
    expect(holdsPoisonKeys(JSON.parse('{"a":[{"b":{"__proto__":1}}]}'))).toBe(true);
    expect(holdsPoisonKeys(JSON.parse('[[{"constructor":null}]]'))).toBe(true);
    expect(holdsPoisonKeys(JSON.parse('{"\\u005f_proto__":{}}'))).toBe(true);
    expect(holdsPoisonKeys('text')).toBe(false);
    expect(holdsPoisonKeys(null)).toBe(false);
  });
});
