import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, type Harness, post, startHarness } from './harness.js';

/** $0.001 a month for acme; each request reserves ~prompt + 40 output tokens at $1/$2 per M (≈ 100 µ$). */
const BUDGET_MICROS = 1_000;
const policy = { tenants: { acme: { budgets: [{ window: 'month' as const, usd: BUDGET_MICROS / 1e6 }] } } };
const body = { ...ask('what is an idempotency key?'), max_tokens: 40 };

describe('gateway: x-request-id is an idempotency key, never a reservation id (#14 item 2)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ primary: 'ok' }, { policy });
  });
  afterAll(() => h.close());

  it('100 requests with one fixed id and body: 1 model call, 1 record, one charge, all answered alike', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => post(h, body, { 'x-request-id': 'fixed-id-1' })));
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(h.vendor.count('/v1/chat/completions')).toBe(1);
    const texts = new Set(results.map((r) => r.json.choices[0].message.content));
    expect(texts.size).toBe(1);
    const records = h.sink!.records.filter((r) => r.requestId === 'fixed-id-1');
    expect(records).toHaveLength(1);
    const spent = h.sink!.records.reduce((s, r) => s + r.cost.full, 0);
    expect(spent).toBe(records[0]!.cost.full);
    expect(spent).toBeLessThanOrEqual(BUDGET_MICROS);
    // One response carries the charge; the 99 replays say so and cost nothing.
    const replays = results.filter((r) => r.headers.get('x-tollgate-idempotent-replay') === 'true');
    expect(replays).toHaveLength(99);
    expect(replays.every((r) => r.headers.get('x-tollgate-cost-micros') === '0')).toBe(true);
    const sumOfHeaders = results.reduce((s, r) => s + Number(r.headers.get('x-tollgate-cost-micros')), 0);
    expect(sumOfHeaders).toBe(records[0]!.cost.full);
  });

  it('the same id with a different body is a 409 idempotency_conflict, with no model call', async () => {
    const before = h.vendor.count();
    const r = await post(h, { ...body, messages: [{ role: 'user', content: 'something else' }] }, { 'x-request-id': 'fixed-id-1' });
    expect(r.status).toBe(409);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code: 'idempotency_conflict' });
    expect(h.vendor.count()).toBe(before);
  });

  it('a streamed retry of the same id gets the first answer as a stream, without a model call', async () => {
    const before = h.vendor.count();
    const first = await post(h, body, { 'x-request-id': 'fixed-id-1' });
    const s = await h.client.chat.completions.create({ ...body, stream: true }, { headers: { 'x-request-id': 'fixed-id-1' } });
    let text = '';
    for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(first.json.choices[0].message.content);
    expect(h.vendor.count()).toBe(before);
  });

  it('requests without an id, or with distinct ids, are charged each time and stop at the budget', async () => {
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await post(h, body, { 'x-request-id': `distinct-${i}` }));
    for (let i = 0; i < 5; i++) results.push(await post(h, body));
    const ok = results.filter((r) => r.status === 200).length;
    expect(results.some((r) => r.status === 429)).toBe(true);
    expect(h.vendor.count('/v1/chat/completions')).toBe(1 + ok);
    const spent = h.sink!.records.reduce((s, r) => s + r.cost.full, 0);
    expect(spent).toBeLessThanOrEqual(BUDGET_MICROS);
  });

  it('a failed first attempt does not pin the id: a retry with the same id runs', async () => {
    h.vendor.setBehaviour('400');
    const a = await post(h, ask('retry me'), { 'x-request-id': 'retry-after-failure' });
    expect(a.status).toBeGreaterThanOrEqual(400);
    h.vendor.setBehaviour(undefined);
    const b = await post(h, { ...ask('retry me'), max_tokens: 5 }, { 'x-request-id': 'retry-after-failure-2' });
    expect([200, 429]).toContain(b.status);
    const c = await post(h, ask('retry me'), { 'x-request-id': 'retry-after-failure' });
    expect(c.headers.get('x-tollgate-idempotent-replay')).toBeNull();
  });
});
