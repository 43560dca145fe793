import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, ask, post, startHarness } from './harness.js';

/** Sends raw bytes to the gateway and returns the raw HTTP answer. */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => s.write(bytes));
    let out = '';
    s.on('data', (d) => (out += d.toString('utf8')));
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

function parse(answer: string): { status: number; body: any } {
  const [head, ...rest] = answer.split('\r\n\r\n');
  return { status: Number(head!.split(' ')[1]), body: JSON.parse(rest.join('\r\n\r\n')) };
}

const openAIShaped = (b: any) => {
  expect(Object.keys(b)).toEqual(['error']);
  expect(typeof b.error.message).toBe('string');
  expect(typeof b.error.type).toBe('string');
  expect('code' in b.error && 'param' in b.error).toBe(true);
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ primary: 'ok' }, { policy: { defaults: { maxPromptChars: 50_000 } } });
});
afterAll(async () => h.close());

describe('every gateway error is OpenAI-shaped, absurd inputs are 400s (issue #14, item 6)', () => {
  it('431 for headers over maxHeaderSize, with an OpenAI error body', async () => {
    const answer = await raw(h.gw.url, `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const { status, body } = parse(answer);
    expect(status).toBe(431);
    openAIShaped(body);
    expect(body.error.code).toBe('request_header_too_large');
  });

  it('400 for a request node cannot parse, with an OpenAI error body', async () => {
    const { status, body } = parse(await raw(h.gw.url, 'GARBAGE\r\n\r\n'));
    expect(status).toBe(400);
    openAIShaped(body);
  });

  it('max_tokens: 1e12 is a 400 naming max_tokens, not a 429', async () => {
    const r = await post(h, { ...ask('hello'), max_tokens: 1e12 });
    expect(r.status).toBe(400);
    openAIShaped(r.json);
    expect(r.json.error).toMatchObject({ code: 'invalid_request', param: 'max_tokens' });
    for (const bad of [1e300, -1, 1.5, '7', Number.MAX_SAFE_INTEGER + 2]) {
      const b = await post(h, { ...ask('hello'), max_tokens: bad });
      expect(b.status, String(bad)).toBe(400);
      openAIShaped(b.json);
    }
  });

  it('a prompt over defaults.maxPromptChars is a 400 prompt_too_large naming the field, before any call', async () => {
    const calls = h.vendor.count();
    const r = await post(h, { model: 'auto', messages: [{ role: 'system', content: 'hi' }, { role: 'user', content: 'x'.repeat(60_000) }] });
    expect(r.status).toBe(400);
    openAIShaped(r.json);
    expect(r.json.error).toMatchObject({ code: 'prompt_too_large', param: 'messages[1].content' });
    expect(h.vendor.count()).toBe(calls);
  });
});
