import { expect } from 'vitest';
import { ProviderError, type ProviderFailureKind } from '../../engine/errors.js';
import type { ModelCallInput, ModelResponse, StreamEvent } from '../../engine/seams/model-adapter.js';
import { modelSchema, type ModelSpec } from '../../policies/schema.js';

/** Helpers for adapter tests: model specs, call inputs, draining streams, checking thrown errors. */

/** A validated model spec (schema defaults applied) for an HTTP adapter. */
export function modelSpec(fields: Partial<ModelSpec> & Pick<ModelSpec, 'adapter'>): ModelSpec {
  return modelSchema.parse({ id: 'test-model', tier: 'vendor', contextWindow: 128_000, ...fields });
}

/** One attempt's input: a single user message unless `messages` is given; 5 s timeout by default. */
export function callInput(model: ModelSpec, fields: Partial<ModelCallInput> = {}): ModelCallInput {
  return {
    model,
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
    maxOutputTokens: 256,
    requestId: 'req-1',
    signal: AbortSignal.timeout(5_000),
    ...fields,
  };
}

/** Drains a stream: the delta texts in order and the final response (asserting exactly one `done`, last). */
export async function drain(stream: AsyncIterable<StreamEvent>): Promise<{ deltas: string[]; response: ModelResponse }> {
  const events: StreamEvent[] = [];
  for await (const e of stream) events.push(e);
  const dones = events.filter((e) => e.type === 'done');
  expect(dones).toHaveLength(1);
  expect(events.at(-1)?.type).toBe('done');
  const deltas = events.flatMap((e) => (e.type === 'delta' ? [e.text] : []));
  return { deltas, response: (dones[0] as Extract<StreamEvent, { type: 'done' }>).response };
}

/**
 * Awaits a failing call (or stream), asserts it threw a ProviderError of `kind`, and that none of
 * `secrets` appears in its message, JSON, stack or any cause's message. Returns the error.
 */
export async function expectProviderError(work: Promise<unknown>, kind: ProviderFailureKind, secrets: string[] = []): Promise<ProviderError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  const pe = err as ProviderError;
  expect(pe.kind).toBe(kind);
  expect(pe.code).toBe(`provider_${kind}`);
  const texts = [pe.message, JSON.stringify(pe), String(pe.stack)];
  for (let c: unknown = pe.cause; c instanceof Error; c = c.cause) texts.push(c.message);
  for (const secret of secrets) for (const t of texts) expect(t).not.toContain(secret);
  return pe;
}
