import { describe, expect, it } from 'vitest';
import { ProviderError, type ProviderFailureKind } from '../../engine/errors.js';
import type { ModelAdapter, ModelCallInput, ModelResponse, StreamEvent } from '../../engine/seams/model-adapter.js';
import type { ModelSpec } from '../../policies/schema.js';
import { itSpeaksV1 } from './specification.js';

/** What a ModelAdapter suite runs against: the adapter, a model it answers, and (optionally) models that fail in known ways. */
export interface ModelAdapterFixture {
  adapter: ModelAdapter;
  /** A model the adapter answers normally (against a real or fake provider). */
  model: ModelSpec;
  /** Models whose provider answers with a failure; the suite checks the thrown ProviderError's kind for each. */
  failing?: Partial<Record<Exclude<ProviderFailureKind, 'circuit_open' | 'timeout' | 'network'>, ModelSpec>>;
  /** A model whose provider never answers: an aborted signal must end the call and the stream promptly. */
  hanging?: ModelSpec;
  /** A model whose provider cuts the stream after text started: the stream must reject, never end with `done`. */
  cutStream?: ModelSpec;
  /** Strings that must never appear in an error (API keys). */
  secrets?: string[];
}

const USAGE_SOURCES = ['vendor', 'tokenizer', 'estimate'];

function input(model: ModelSpec, fields: Partial<ModelCallInput> = {}): ModelCallInput {
  return {
    model,
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
    maxOutputTokens: 64,
    requestId: `contract-${Math.random().toString(36).slice(2)}`,
    signal: AbortSignal.timeout(20_000),
    ...fields,
  };
}

function expectResponse(r: ModelResponse): void {
  expect(typeof r.text).toBe('string');
  expect(Number.isInteger(r.usage.outputTokens) && r.usage.outputTokens >= 0).toBe(true);
  for (const k of ['inputTokens', 'cachedInputTokens'] as const) if (r.usage[k] !== undefined) expect(Number.isInteger(r.usage[k]) && r.usage[k]! >= 0).toBe(true);
  expect(USAGE_SOURCES).toContain(r.usageSource);
  expect(typeof r.finishReason).toBe('string');
}

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const e of stream) events.push(e);
  return events;
}

function expectNoSecrets(err: unknown, secrets: readonly string[]): void {
  const text = `${(err as Error).message}\n${JSON.stringify(err)}\n${(err as Error).stack ?? ''}`;
  for (const s of secrets) expect(text.includes(s), 'an error shows a secret').toBe(false);
}

/**
 * The behaviour every ModelAdapter must show (engine/seams/model-adapter.ts). `make` is called once per
 * case; failure cases run only for the scenarios the fixture provides.
 */
export function modelAdapterContract(name: string, make: () => Promise<ModelAdapterFixture> | ModelAdapterFixture): void {
  describe(`${name}: ModelAdapter contract`, () => {
    itSpeaksV1(async () => (await make()).adapter);

    it('names the adapter kind it serves', async () => {
      const { adapter } = await make();
      expect(typeof adapter.kind).toBe('string');
      expect(adapter.kind.length).toBeGreaterThan(0);
    });

    it('call resolves with the text and integer usage, saying where the counts came from', async () => {
      const { adapter, model } = await make();
      expectResponse(await adapter.call(input(model)));
    });

    it('stream yields deltas then exactly one done, last, whose text is the deltas joined', async () => {
      const { adapter, model } = await make();
      const events = await collect(adapter.stream(input(model)));
      const dones = events.filter((e) => e.type === 'done');
      expect(dones).toHaveLength(1);
      expect(events.at(-1)!.type).toBe('done');
      const done = dones[0] as Extract<StreamEvent, { type: 'done' }>;
      expectResponse(done.response);
      expect(done.response.text).toBe(events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join(''));
    });

    it('is safe to share across concurrent calls', async () => {
      const { adapter, model } = await make();
      const answers = await Promise.all(Array.from({ length: 8 }, () => adapter.call(input(model))));
      for (const a of answers) expectResponse(a);
    });

    it('throws a ProviderError of the right kind for each provider failure, in call and in stream, without secrets', async () => {
      const { adapter, failing = {}, secrets = [] } = await make();
      for (const [kind, model] of Object.entries(failing) as [ProviderFailureKind, ModelSpec][]) {
        for (const run of [() => adapter.call(input(model)), () => collect(adapter.stream(input(model)))]) {
          const err = await run().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, `${kind}: must reject`).toBeInstanceOf(ProviderError);
          expect((err as ProviderError).kind).toBe(kind);
          expect((err as ProviderError).code).toBe(`provider_${kind}`);
          expectNoSecrets(err, secrets);
        }
      }
    });

    it('stops promptly when the signal aborts (call and stream)', async () => {
      const { adapter, hanging } = await make();
      if (!hanging) return; // the fixture has no provider that hangs
      for (const run of [(s: AbortSignal) => adapter.call(input(hanging, { signal: s })), (s: AbortSignal) => collect(adapter.stream(input(hanging, { signal: s })))]) {
        const ac = new AbortController();
        const pending = run(ac.signal);
        setTimeout(() => ac.abort(new DOMException('attempt timed out', 'TimeoutError')), 50);
        await expect(pending).rejects.toBeTruthy(); // an adapter that ignores the signal hangs here until the test times out
      }
    });

    it('a stream the provider cuts after text started rejects and never yields done', async () => {
      const { adapter, cutStream, secrets = [] } = await make();
      if (!cutStream) return;
      const events: StreamEvent[] = [];
      const err = await (async () => {
        for await (const e of adapter.stream(input(cutStream))) events.push(e);
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ProviderError);
      expect(['network', 'bad_response']).toContain((err as ProviderError).kind);
      expect(events.some((e) => e.type === 'done')).toBe(false);
      expectNoSecrets(err, secrets);
    });
  });
}
