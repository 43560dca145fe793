import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeAnswerText, fakeTokenCount, startFakeVendor, type FakeVendor } from '../support/fake-vendor-server.js';

/** The official `openai` client against the fake vendor: proof that the fake speaks the real protocol. */

const QUESTION = 'Name three primes.';
let vendor: FakeVendor;
let client: OpenAI;

beforeAll(async () => {
  vendor = await startFakeVendor({ apiKey: 'sk-fake-client' });
  client = new OpenAI({ baseURL: vendor.openaiBaseUrl, apiKey: 'sk-fake-client', maxRetries: 0 });
});
afterAll(() => vendor.close());

describe('fake vendor server with the official openai client', () => {
  it('answers a non-streaming chat completion with usage', async () => {
    const res = await client.chat.completions.create({ model: 'ok', messages: [{ role: 'user', content: QUESTION }] });
    expect(res.choices[0].message.content).toBe(fakeAnswerText(QUESTION));
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: fakeTokenCount(QUESTION), completion_tokens: fakeTokenCount(fakeAnswerText(QUESTION)) });
  });

  it('streams chunks whose deltas concatenate to the answer, then a usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'ok',
      messages: [{ role: 'user', content: QUESTION }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(fakeAnswerText(QUESTION));
    expect(usage?.completion_tokens).toBe(fakeTokenCount(text));
  });

  it('returns errors the client maps to its typed errors (429 with Retry-After, 401 on a wrong key)', async () => {
    const limited = await client.chat.completions.create({ model: '429', messages: [{ role: 'user', content: QUESTION }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('2');
    const wrongKey = new OpenAI({ baseURL: vendor.openaiBaseUrl, apiKey: 'sk-wrong', maxRetries: 0 });
    const denied = await wrongKey.chat.completions.create({ model: 'ok', messages: [{ role: 'user', content: QUESTION }] }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
