import { describe, expect, it } from 'vitest';
import { anthropicImageTokens, imagePartTokens, openaiImageTokens, readDataUrl } from '../../engine/image-tokens.js';
import { anthropicToolTokens, openaiToolTokens, requestExtraTokens, textMessages } from '../../engine/message-tokens.js';
import { validateRequest } from '../../engine/request.js';
import { countChatTokens, countTokens } from '../../engine/tokens.js';
import { jpegHeaderDataUrl, pngDataUrl } from '../support/fake-vendor-images.js';

/** Token counts before the call against the vendors' documented figures (#15 item 5). */

describe('tool definitions (openai-cookbook "How to count tokens with tiktoken", section 7)', () => {
  // The cookbook's example: the API reported 101 prompt tokens on gpt-4o / gpt-4o-mini and 105 on gpt-4 / gpt-3.5-turbo.
  const tools = [
    {
      type: 'function' as const,
      function: {
        name: 'get_current_weather',
        description: 'Get the current weather in a given location',
        parameters: {
          type: 'object',
          properties: {
            location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
            unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
          },
          required: ['location'],
        },
      },
    },
  ];
  const messages = [
    { role: 'system' as const, content: 'You are a helpful assistant that can answer to questions about the weather.' },
    { role: 'user' as const, content: "What's the weather like in San Francisco?" },
  ];

  it('gpt-4o (o200k_base): 101 prompt tokens, as the API reported', () => {
    expect(countChatTokens(messages, 'o200k_base') + openaiToolTokens(tools, 'o200k_base')).toBe(101);
  });

  it('gpt-4 (cl100k_base): 105 prompt tokens, as the API reported', () => {
    expect(countChatTokens(messages, 'cl100k_base') + openaiToolTokens(tools, 'cl100k_base')).toBe(105);
  });

  it('the engine adds the same overhead to a request with those tools', () => {
    const r = validateRequest({ tenant: 't', messages, tools });
    expect(countChatTokens(textMessages(r.messages), 'o200k_base') + requestExtraTokens(r, 'o200k_base')).toBe(101);
  });

  it('counts kept per tools array (agents resend them) stay exact: equal JSON, equal count; any change, a new count', () => {
    const copy = () => JSON.parse(JSON.stringify(tools)) as typeof tools;
    const first = [openaiToolTokens(copy(), 'o200k_base'), openaiToolTokens(copy(), 'cl100k_base'), anthropicToolTokens(copy(), 'auto'), anthropicToolTokens(copy(), 'required')];
    expect(first.slice(0, 2)).toEqual([101 - countChatTokens(messages, 'o200k_base'), 105 - countChatTokens(messages, 'cl100k_base')]);
    expect(first[2]! - first[3]!).toBe(346 - 313); // the tool-use system prompt differs by tool_choice, the definitions' part is the same
    expect([openaiToolTokens(copy(), 'o200k_base'), openaiToolTokens(copy(), 'cl100k_base'), anthropicToolTokens(copy(), 'auto'), anthropicToolTokens(copy(), 'required')]).toEqual(first);
    const longer = copy();
    longer[0]!.function.parameters.properties.unit.description += ', as the user asked for it';
    expect(openaiToolTokens(longer, 'o200k_base')).toBeGreaterThan(first[0]!);
    expect(anthropicToolTokens(longer, 'auto')).toBeGreaterThan(first[2]!);
    const two = [...copy(), { ...copy()[0]!, function: { ...copy()[0]!.function, name: 'get_forecast' } }];
    const nameLine = (name: string) => countTokens(`${name}:Get the current weather in a given location`, 'o200k_base');
    const one = first[0]! - 12; // one definition without the closing overhead
    expect(openaiToolTokens(two, 'o200k_base')).toBe(one + (one - nameLine('get_current_weather') + nameLine('get_forecast')) + 12);
  });
});

describe('images', () => {
  // OpenAI "Images and vision", Calculating costs (gpt-4o, gpt-4.1, gpt-5).
  it('OpenAI tile formula: 1024×1024 high 765, 2048×4096 high 1105, 4096×8192 low 85', () => {
    expect(openaiImageTokens(1024, 1024, 'high')).toBe(765);
    expect(openaiImageTokens(2048, 4096, 'high')).toBe(1105);
    expect(openaiImageTokens(4096, 8192, 'low')).toBe(85);
    expect(openaiImageTokens(512, 512, 'high')).toBe(255); // one tile, no upscaling
  });

  // Anthropic "Vision", Evaluate image size: tokens ≈ width × height / 750.
  it('Anthropic w×h/750: 200×200 ~54, 1000×1000 ~1334, 1092×1092 ~1590; larger images are scaled down first', () => {
    expect(anthropicImageTokens(200, 200)).toBe(54);
    expect(anthropicImageTokens(1000, 1000)).toBe(1334);
    expect(anthropicImageTokens(1092, 1092)).toBe(1590);
    expect(anthropicImageTokens(4000, 3000)).toBeLessThanOrEqual(1600);
  });

  it('reads width and height from a data URL header (PNG, JPEG) and refuses what is not that image', () => {
    expect(readDataUrl(pngDataUrl(1024, 1024))).toMatchObject({ format: 'png', width: 1024, height: 1024 });
    expect(readDataUrl(jpegHeaderDataUrl(2048, 4096))).toMatchObject({ format: 'jpeg', width: 2048, height: 4096 });
    expect(readDataUrl('data:image/png;base64,aGVsbG8=')).toMatch(/does not hold/);
    expect(readDataUrl(pngDataUrl(4, 4).replace('image/png', 'image/jpeg'))).toMatch(/holds a PNG/);
    expect(imagePartTokens(pngDataUrl(1024, 1024), 'high', 'openai')).toBe(765);
    expect(imagePartTokens(jpegHeaderDataUrl(2048, 4096), 'high', 'openai')).toBe(1105);
    expect(imagePartTokens(pngDataUrl(1000, 1000), undefined, 'anthropic')).toBe(1334);
  });

  it('a bare URL is estimated at the most one image can cost (documented): OpenAI 1445 (high) / 85 (low), Anthropic 1600', () => {
    expect(imagePartTokens('https://example.com/x.png', 'high', 'openai')).toBe(1445);
    expect(imagePartTokens('https://example.com/x.png', 'low', 'openai')).toBe(85);
    expect(imagePartTokens('https://example.com/x.png', undefined, 'anthropic')).toBe(1600);
    expect(openaiImageTokens(768, 2048, 'high')).toBe(1445);
  });

  it('a request with an image counts it per encoding: tiles for OpenAI encodings, w×h/750 for Claude (estimate)', () => {
    const r = validateRequest({ tenant: 't', messages: [{ role: 'user', content: [{ type: 'text', text: 'What is it?' }, { type: 'image_url', image_url: { url: pngDataUrl(1024, 1024), detail: 'high' } }] }] });
    expect(requestExtraTokens(r, 'o200k_base')).toBe(765);
    expect(requestExtraTokens(r, 'estimate')).toBe(Math.ceil((1024 * 1024) / 750));
  });
});

describe('tool calls and JSON schemas in the prompt', () => {
  it('tool calls and results in the history are counted as text; a json_schema response format adds its schema', () => {
    const r = validateRequest({
      tenant: 't',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '18C sunny' },
      ],
      responseFormat: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object', properties: { t: { type: 'number' } } } } },
    });
    const text = textMessages(r.messages);
    expect(text[1]!.content).toBe('get_weather\n{"city":"Paris"}');
    expect(text[2]!.content).toBe('18C sunny');
    expect(requestExtraTokens(r, 'o200k_base')).toBeGreaterThan(5);
  });
});
