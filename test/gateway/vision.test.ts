import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiImageTokens } from '../../engine/image-tokens.js';
import { pngDataUrl } from '../support/fake-vendor-images.js';
import { type Harness, post, startHarness } from './harness.js';

/** Image input with the official openai client (#15 items 1, 5, 7): carried unchanged, counted before the call, routed by capability. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ seer: 'ok' }, {
    policy: (url) => ({
      models: [
        { id: 'blind', tier: 'vendor', adapter: 'openai-compatible', endpoint: `${url}/v1`, apiKeyEnv: 'TOLLGATE_TEST_KEY', upstreamModel: 'ok', contextWindow: 128000, prices: { inputPerM: 0.1, outputPerM: 0.2 }, quality: 0.9, capabilities: ['tools'] },
        { id: 'seer', tier: 'vendor', adapter: 'openai-compatible', endpoint: `${url}/v1`, apiKeyEnv: 'TOLLGATE_TEST_KEY', upstreamModel: 'ok', contextWindow: 128000, prices: { inputPerM: 2.5, outputPerM: 10 }, quality: 0.9, capabilities: ['tools', 'vision'] },
      ],
      rules: [{ name: 'default', qualityFloor: 0 }],
      fallbacks: { seer: ['blind'] },
    }),
  });
});
afterAll(() => h.close());

const image = pngDataUrl(1024, 1024);
const content = [{ type: 'text' as const, text: 'What is in this picture?' }, { type: 'image_url' as const, image_url: { url: image, detail: 'high' as const } }];

describe('image input', () => {
  it('goes to the vision model unchanged, skipping the cheaper model that lacks vision (and the fallback chain skips it too)', async () => {
    const { data, response } = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content }] }).withResponse();
    expect(data.model).toBe('seer');
    expect((h.vendor.requests.at(-1)!.body as { messages: unknown }).messages).toEqual([{ role: 'user', content }]);
    const record = h.sink!.records.find((r) => r.requestId === response.headers.get('x-tollgate-request-id'))!;
    expect(record.candidates.find((c) => c.model === 'blind')).toMatchObject({ eligible: false, reason: 'lacks vision' });
    const plain = await h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'What is in this picture?' }] });
    expect(plain.model).toBe('blind'); // without an image the cheaper model serves
  });

  it('is counted before the call by the tile formula (1024×1024 high: 765 tokens)', async () => {
    const withImage = await h.tollgate.decide({ tenant: 'acme', messages: [{ role: 'user', content }] });
    const without = await h.tollgate.decide({ tenant: 'acme', messages: [{ role: 'user', content: 'What is in this picture?' }] });
    expect(withImage.promptTokens - without.promptTokens).toBe(openaiImageTokens(1024, 1024, 'high'));
    expect(withImage.fallbackChain).toEqual([]); // blind lacks vision
  });

  it('an image that is not one, or an image outside a user message, is a 400 naming the path; a pinned model without vision too', async () => {
    const before = h.vendor.requests.length;
    const fake = await post(h, { model: 'auto', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/gif;base64,' + Buffer.from('not a gif at all').toString('base64') } }] }] });
    expect(fake.status).toBe(400);
    expect(fake.json.error.param).toBe('messages[0].content[0].image_url.url');
    const system = await post(h, { model: 'auto', messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: image } }] }, { role: 'user', content: 'hi' }] });
    expect(system.json.error.param).toBe('messages[0].content[0].type');
    const pinned = await post(h, { model: 'blind', messages: [{ role: 'user', content }] });
    expect(pinned.status).toBe(400);
    expect(pinned.json.error.param).toBe('messages');
    expect(h.vendor.requests.length).toBe(before);
  });
});
