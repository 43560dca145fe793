import { describe, expect, it } from 'vitest';
import { chunkOk, chunkSchema, completionSchema, plainCompletionOk } from '../../adapters/openai-wire.js';

/**
 * The adapter's fast checks (adapters/openai-wire.ts) never accept what its zod schemas refuse, and for what
 * they accept, every field the adapter reads is the same in the raw value as in zod's output: on the
 * answers real servers send and many mutations of them.
 */
const usage = () => ({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21, prompt_tokens_details: { cached_tokens: 2 }, completion_tokens_details: { reasoning_tokens: 3 } });
const completion = (): Record<string, unknown> => ({
  id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm', system_fingerprint: 'fp',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: usage(), service_tier: 'default',
});
const chunk = (): Record<string, unknown> => ({
  id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm',
  choices: [{ index: 0, delta: { content: 'He', tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{' } }], refusal: null }, logprobs: null, finish_reason: null }],
  usage: null,
});

const weird: unknown[] = [undefined, null, 0, -1, 1.5, 2 ** 60, '', 'x', true, [], [{}], {}, { a: 1 }, { cached_tokens: -1 }, { cached_tokens: null }, { reasoning_tokens: 1.5 }];

/** Every object in `v` with each of its keys set to each odd value, or removed. */
function mutations(v: unknown): unknown[] {
  const out: unknown[] = [v];
  const at = (root: unknown, path: (string | number)[]): Record<string, unknown> => path.reduce((o: any, k) => o[k], root) as Record<string, unknown>;
  const walk = (node: unknown, path: (string | number)[]) => {
    if (typeof node !== 'object' || node === null) return;
    for (const k of Object.keys(node)) {
      const key = Array.isArray(node) ? Number(k) : k;
      for (const w of weird) {
        const copy = structuredClone(v);
        at(copy, path)[key as string] = w;
        out.push(copy);
      }
      if (!Array.isArray(node)) {
        const copy = structuredClone(v);
        delete at(copy, path)[key as string];
        out.push(copy);
      }
      walk((node as Record<string, unknown>)[k], [...path, key]);
    }
  };
  walk(v, []);
  return out;
}

/** The fields the adapter reads, from a completion or a chunk. */
function read(v: any) {
  return {
    usage: v.usage ? [v.usage.prompt_tokens, v.usage.completion_tokens, v.usage.prompt_tokens_details?.cached_tokens ?? undefined, v.usage.completion_tokens_details?.reasoning_tokens ?? undefined] : undefined,
    tier: v.service_tier ?? undefined,
    choices: v.choices.map((c: any) => ({
      finish: c.finish_reason ?? undefined,
      content: (c.message ?? c.delta)?.content ?? undefined, refusal: (c.message ?? c.delta)?.refusal ?? undefined,
      tools: ((c.message ?? c.delta)?.tool_calls ?? []).map((t: any) => ({ index: t.index, id: t.id ?? undefined, name: t.function?.name ?? undefined, arguments: t.function?.arguments ?? undefined })),
    })),
  };
}

describe('OpenAI wire fast checks', () => {
  it('plainCompletionOk accepts only what the completion schema accepts, with the same fields', () => {
    let accepted = 0;
    for (const v of [...mutations(completion()), null, [], 'x']) {
      if (!plainCompletionOk(v)) continue;
      accepted++;
      const z = completionSchema.safeParse(v);
      expect(z.success, JSON.stringify(v)).toBe(true);
      if (z.success) expect(read(v)).toEqual(read(z.data));
    }
    expect(accepted).toBeGreaterThan(10);
  });

  it('chunkOk accepts only what the chunk schema accepts, with the same fields', () => {
    let accepted = 0;
    const usageChunk = { ...chunk(), choices: [], usage: usage() };
    for (const v of [...mutations(chunk()), ...mutations(usageChunk), null, [], 'x']) {
      if (!chunkOk(v)) continue;
      accepted++;
      const z = chunkSchema.safeParse(v);
      expect(z.success, JSON.stringify(v)).toBe(true);
      if (z.success) expect(read(v)).toEqual(read(z.data));
    }
    expect(accepted).toBeGreaterThan(10);
  });
});
