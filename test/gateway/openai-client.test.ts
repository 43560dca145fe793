import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeAnswerText, fakeTokenCount } from '../support/fake-vendor-server.js';
import { type Harness, startHarness } from './harness.js';

/** The official `openai` client, unchanged except baseURL/apiKey, through the gateway to a real fake vendor. */

const Q = 'Name three primes.';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ primary: 'ok', backup: 'ok' });
});
afterAll(() => h.close());

describe('gateway with the official openai client', () => {
  it('completes a non-streaming request with the settled usage and tollgate headers', async () => {
    const { data, response } = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: Q }] }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]!.message.content).toBe(fakeAnswerText(Q));
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.model).toBe('primary');
    const record = h.sink!.records.find((r) => r.requestId === response.headers.get('x-tollgate-request-id'))!;
    expect(record).toBeDefined();
    expect(data.usage).toMatchObject({ prompt_tokens: record.tokens.input, completion_tokens: record.tokens.output });
    expect(data.usage!.completion_tokens).toBe(fakeTokenCount(fakeAnswerText(Q)));
    expect(response.headers.get('x-tollgate-model')).toBe('primary');
    expect(Number(response.headers.get('x-tollgate-cost-micros'))).toBe(record.cost.full);
    expect(record.cost.full).toBeGreaterThan(0);
    expect(record.tenant).toBe('acme');
  });

  it('passes top_p, stop and seed to the model; refuses an unknown response_format type with a 400 naming it', async () => {
    await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: Q }], top_p: 0.5, stop: ['END'], seed: 11 });
    expect(h.vendor.requests.at(-1)!.body).toMatchObject({ top_p: 0.5, stop: ['END'], seed: 11 });
    const before = h.vendor.requests.length;
    const refused = h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: Q }], response_format: { type: 'yaml' } as never });
    await expect(refused).rejects.toMatchObject({ status: 400, param: 'response_format.type' });
    expect(h.vendor.requests.length).toBe(before); // refused before any model call (JSON modes: test/gateway/tools.test.ts)
  });

  it('streams OpenAI chunks and a final usage chunk with include_usage', async () => {
    const stream = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: Q }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toBe(fakeAnswerText(Q));
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(fakeTokenCount(text));
    expect(usage?.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);
  });

  it('streams without a usage chunk when include_usage is not asked for', async () => {
    const stream = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: Q }], stream: true });
    let sawUsage = false;
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toBe(fakeAnswerText(Q));
    expect(sawUsage).toBe(false);
  });

  it('lists the policy models plus the virtual auto model', async () => {
    const ids = [];
    for await (const m of h.client.models.list()) ids.push(m.id);
    expect(ids).toEqual(['auto', 'primary', 'backup']);
  });

  it('pins a concrete model id and refuses an unknown one with 404 model_not_found', async () => {
    const pinned = await h.client.chat.completions.create({ model: 'backup', messages: [{ role: 'user', content: Q }] });
    expect(pinned.model).toBe('backup');
    const err = await h.client.chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: Q }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
  });

  it('uses a client-supplied x-request-id as the decision id', async () => {
    const { response } = await h.client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: Q }] }, { headers: { 'x-request-id': 'client-req-42' } })
      .withResponse();
    expect(response.headers.get('x-tollgate-request-id')).toBe('client-req-42');
    expect(h.sink!.records.some((r) => r.requestId === 'client-req-42')).toBe(true);
  });

  it('never forwards the tenant key upstream nor writes it to the log', () => {
    for (const r of h.vendor.requests) expect(JSON.stringify(r.headers)).not.toContain(h.key);
    expect(JSON.stringify(h.sink!.records)).not.toContain(h.key);
  });
});
