import { describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { PromptTooLargeError } from '../../engine/prompt-size.js';
import { countPromptOffThread, OFF_THREAD_CHARS } from '../../engine/token-pool.js';
import { countPromptByEncoding } from '../../engine/tokens.js';
import { simPolicy } from '../support/policies.js';

const big = (n: number) => 'x'.repeat(n);
const ask = (content: string) => ({ tenant: 'acme', messages: [{ role: 'user' as const, content }] });

describe('counting large prompts off the main thread', () => {
  it('counts on the token worker with the same numbers as on this thread', async () => {
    const messages = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: `${'東京😀a'.repeat(OFF_THREAD_CHARS)} ${big(30_000)}`, name: 'bob' },
    ];
    const off = await countPromptOffThread(messages, ['o200k_base', 'cl100k_base', 'estimate'], OFF_THREAD_CHARS * 2);
    expect(off).toEqual(countPromptByEncoding(messages, ['o200k_base', 'cl100k_base', 'estimate']));
  });

  it('leaves the event loop free while a 1 MiB unbroken prompt is counted (decide)', async () => {
    const tg = createTollgate({ policy: simPolicy({ models: simPolicy().models!.map((m) => ({ ...m, contextWindow: 2_000_000 })) }), decisionLog: new MemoryDecisionSink() });
    let ranMeanwhile = false;
    const dry = tg.decide(ask(big(1 << 20))).then((d) => ({ d, ranMeanwhile }));
    setImmediate(() => (ranMeanwhile = true)); // runs before the answer only if the count did not hold the thread
    const { d, ranMeanwhile: ran } = await dry;
    expect(ran).toBe(true);
    expect(d.promptTokens).toBe((1 << 20) / 8 + 3 + 1 + 3);
  });

  it('refuses a prompt over defaults.maxPromptChars before counting, naming the field', async () => {
    const sink = new MemoryDecisionSink();
    const tg = createTollgate({ policy: simPolicy({ defaults: { maxPromptChars: 10_000 } }), decisionLog: sink });
    const request = { tenant: 'acme', messages: [{ role: 'user' as const, content: 'hi' }, { role: 'user' as const, content: big(10_000) }] };
    const err = await tg.complete(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromptTooLargeError);
    expect(err).toMatchObject({ code: 'prompt_too_large', field: 'messages[1].content', limit: 10_000 });
    await expect(tg.decide(request)).rejects.toBeInstanceOf(PromptTooLargeError);
    // The default limit is 2 Mi characters.
    const dflt = createTollgate({ policy: simPolicy(), decisionLog: sink });
    await expect(dflt.decide(ask(big(2 * 1024 * 1024 + 1)))).rejects.toMatchObject({ code: 'prompt_too_large', limit: 2 * 1024 * 1024 });
  });
});
