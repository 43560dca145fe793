import { createHash } from 'node:crypto';

/**
 * Tool calling for the fake vendor. When a request carries tools and its last turn is not a tool
 * result, the fake calls tools instead of answering: the first tool, and the second too when there
 * are two or more and parallel calls are allowed (OpenAI `parallel_tool_calls` not false, Anthropic
 * `tool_choice.disable_parallel_tool_use` not true). Arguments are `{"q":"<hash of the last text>"}`,
 * streamed in pieces of at most 5 characters. Ids: `call_fake_<i>` (OpenAI), `toolu_fake_<i>` (Anthropic).
 */

export interface FakeToolCall {
  id: string;
  name: string;
  arguments: string;
}

type Body = Record<string, unknown>;

/** The calls the fake makes for a body, or undefined when it answers with text. */
export function fakeToolCalls(body: Body, protocol: 'openai' | 'anthropic'): FakeToolCall[] | undefined {
  const tools = Array.isArray(body.tools) ? (body.tools as Record<string, any>[]) : [];
  if (tools.length === 0) return undefined;
  const messages = Array.isArray(body.messages) ? (body.messages as Record<string, any>[]) : [];
  const last = messages.at(-1);
  if (!last) return undefined;
  if (protocol === 'openai' && last.role === 'tool') return undefined;
  if (protocol === 'anthropic' && Array.isArray(last.content) && last.content.some((b: any) => b?.type === 'tool_result')) return undefined;
  if (body.tool_choice === 'none' || (body.tool_choice as any)?.type === 'none') return undefined;
  const names: string[] = tools.map((t) => (protocol === 'openai' ? t.function?.name : t.name));
  const parallel = protocol === 'openai' ? body.parallel_tool_calls !== false : (body.tool_choice as any)?.disable_parallel_tool_use !== true;
  const text = JSON.stringify(last.content ?? '');
  const q = createHash('sha256').update(text).digest('hex').slice(0, 8);
  const prefix = protocol === 'openai' ? 'call_fake_' : 'toolu_fake_';
  return names.slice(0, parallel ? 2 : 1).map((name, i) => ({ id: `${prefix}${i}`, name, arguments: JSON.stringify({ q, n: i }) }));
}

/** Pieces of a call's arguments, as a vendor streams them. */
export function argumentPieces(args: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 5) out.push(args.slice(i, i + 5));
  return out;
}

/** OpenAI: the completion and the stream payloads for tool calls. */
export function openaiToolCompletion(model: string, calls: FakeToolCall[], usage: object | undefined) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: null, refusal: null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
    ...(usage && { usage }),
  };
}

export function openaiToolStream(model: string, calls: FakeToolCall[], usage: object | undefined): string[] {
  const c = (delta: object, finish: string | null) =>
    JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const out = [c({ role: 'assistant', content: null }, null)];
  calls.forEach((call, index) => {
    out.push(c({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null));
    for (const piece of argumentPieces(call.arguments)) out.push(c({ tool_calls: [{ index, function: { arguments: piece } }] }, null));
  });
  out.push(c({}, 'tool_calls'));
  if (usage) out.push(JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model, choices: [], usage }));
  out.push('[DONE]');
  return out;
}

/** Anthropic: the message and the stream events for tool calls. */
export function anthropicToolMessage(model: string, calls: FakeToolCall[], usage: object | undefined) {
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model,
    content: calls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: JSON.parse(c.arguments) })),
    stop_reason: 'tool_use',
    stop_sequence: null,
    ...(usage && { usage }),
  };
}

export function anthropicToolStream(model: string, calls: FakeToolCall[], usage: { output_tokens: number } | undefined): [string, object][] {
  const start = { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null };
  const out: [string, object][] = [['message_start', { type: 'message_start', message: { ...start, ...(usage && { usage: { ...usage, output_tokens: 1 } }) } }]];
  calls.forEach((call, index) => {
    out.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } }]);
    for (const piece of argumentPieces(call.arguments)) out.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } }]);
    out.push(['content_block_stop', { type: 'content_block_stop', index }]);
  });
  out.push(['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, ...(usage && { usage: { output_tokens: usage.output_tokens } }) }]);
  out.push(['message_stop', { type: 'message_stop' }]);
  return out;
}
