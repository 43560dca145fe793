import { createHash } from 'node:crypto';

/**
 * Deterministic answers and wire shapes for the fake vendor server: what an OpenAI chat-completions
 * server and the Anthropic Messages API send, built from a request body. Tests import the helpers
 * here to compute the exact text and usage they expect.
 */

/** Tokens the fake charges for a text: `ceil(chars / 4)`. */
export function fakeTokenCount(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The fake's answer to a conversation whose last message is `lastContent`: fixed words plus a hash. */
export function fakeAnswerText(lastContent: string): string {
  const hash = createHash('sha256').update(lastContent).digest('hex').slice(0, 12);
  return `Fake answer ${hash} to a message of ${lastContent.length} characters.`;
}

/** What the fake answers for one request body (either protocol). */
export interface FakeAnswer {
  text: string;
  /** Deltas of a streamed answer: the text split before each space. Their concatenation is `text`. */
  deltas: string[];
  promptTokens: number;
  completionTokens: number;
  /** `length` when the answer was cut at `max_tokens × 4` characters, else `stop`. */
  truncated: boolean;
}

interface WireBody {
  model?: unknown;
  messages?: { content?: unknown }[];
  system?: unknown;
  max_tokens?: unknown;
}

/**
 * The deterministic answer: `fakeAnswerText` of the last message, cut to `max_tokens × 4` characters;
 * prompt tokens = `fakeTokenCount` of every message content (and Anthropic's `system`) concatenated.
 */
export function fakeAnswer(body: WireBody): FakeAnswer {
  const contents = (body.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')));
  const system = typeof body.system === 'string' ? body.system : '';
  const full = fakeAnswerText(contents.at(-1) ?? '');
  const limit = typeof body.max_tokens === 'number' ? body.max_tokens * 4 : Infinity;
  const text = full.slice(0, limit);
  return {
    text,
    deltas: text.split(/(?= )/),
    promptTokens: fakeTokenCount(system + contents.join('')),
    completionTokens: fakeTokenCount(text),
    truncated: text.length < full.length,
  };
}

/** Usage split for the `cache` behaviour: half the prompt read from cache, a quarter written (Anthropic). */
export function fakeCacheSplit(promptTokens: number): { read: number; write: number; fresh: number } {
  const read = Math.floor(promptTokens / 2);
  const write = Math.floor(promptTokens / 4);
  return { read, write, fresh: promptTokens - read - write };
}

/** OpenAI chat-completions wire shapes. */
export const openaiWire = {
  usage(a: FakeAnswer, cached: boolean) {
    return {
      prompt_tokens: a.promptTokens,
      completion_tokens: a.completionTokens,
      total_tokens: a.promptTokens + a.completionTokens,
      prompt_tokens_details: { cached_tokens: cached ? fakeCacheSplit(a.promptTokens).read : 0 },
    };
  },
  completion(model: string, a: FakeAnswer, usage: object | undefined) {
    return {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 0,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: a.text, refusal: null }, logprobs: null, finish_reason: a.truncated ? 'length' : 'stop' }],
      ...(usage && { usage }),
    };
  },
  chunk(model: string, delta: object, finishReason: string | null, extra: object = {}) {
    return {
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      created: 0,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...extra,
    };
  },
  /** Every SSE `data` payload of a streamed answer, ending with `[DONE]`. */
  stream(model: string, a: FakeAnswer, usage: object | undefined): string[] {
    const c = (delta: object, finish: string | null) => JSON.stringify(openaiWire.chunk(model, delta, finish));
    return [
      c({ role: 'assistant', content: '' }, null),
      ...a.deltas.map((d) => c({ content: d }, null)),
      c({}, a.truncated ? 'length' : 'stop'),
      ...(usage ? [JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model, choices: [], usage })] : []),
      '[DONE]',
    ];
  },
  error(type: string, message: string) {
    return { error: { message, type, param: null, code: type } };
  },
};

/** Anthropic Messages wire shapes. */
export const anthropicWire = {
  usage(a: FakeAnswer, cached: boolean) {
    const split = cached ? fakeCacheSplit(a.promptTokens) : { read: 0, write: 0, fresh: a.promptTokens };
    return {
      input_tokens: split.fresh,
      output_tokens: a.completionTokens,
      cache_read_input_tokens: split.read,
      cache_creation_input_tokens: split.write,
    };
  },
  message(model: string, a: FakeAnswer, usage: object | undefined) {
    return {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: a.text }],
      stop_reason: a.truncated ? 'max_tokens' : 'end_turn',
      stop_sequence: null,
      ...(usage && { usage }),
    };
  },
  /** Every SSE event of a streamed answer as `[event, data]`, ending with `message_stop`. */
  stream(model: string, a: FakeAnswer, usage: { output_tokens: number } | undefined): [string, object][] {
    const start = { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null };
    return [
      ['message_start', { type: 'message_start', message: { ...start, ...(usage && { usage: { ...usage, output_tokens: 1 } }) } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['ping', { type: 'ping' }],
      ...a.deltas.map((d): [string, object] => ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: d } }]),
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: a.truncated ? 'max_tokens' : 'end_turn', stop_sequence: null },
          ...(usage && { usage: { output_tokens: usage.output_tokens } }),
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ];
  },
  error(type: string, message: string) {
    return { type: 'error', error: { type, message } };
  },
};
