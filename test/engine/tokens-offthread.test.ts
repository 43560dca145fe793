import { describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { PromptTooLargeError } from '../../engine/prompt-size.js';
import { COUNT_HERE_BUDGET, countPromptOffThread, countsOffThread, LONG_RUN_CHARS, LONG_RUN_WEIGHT, OFF_THREAD_CHARS, textCost } from '../../engine/token-pool.js';
import { textMessages } from '../../engine/message-tokens.js';
import { validateRequest } from '../../engine/request.js';
import { agentMessages, agentTools } from '../../bench/agent-request.js';
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
    expect(countsOffThread(messages, ['o200k_base'], OFF_THREAD_CHARS * 2)).toBe(true);
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

  it('prices a text by its shape: ordinary text a unit a character, unbroken runs of one class the long-run weight', () => {
    expect(textCost('The export button does nothing; see ticket 4521.', Infinity)).toBe(48);
    expect(textCost('7'.repeat(10_000), Infinity)).toBe(10_000); // digits are pieces of at most 3
    expect(textCost('a'.repeat(LONG_RUN_CHARS), Infinity)).toBe(LONG_RUN_CHARS);
    expect(textCost('a'.repeat(LONG_RUN_CHARS + 1), Infinity)).toBe((LONG_RUN_CHARS + 1) * LONG_RUN_WEIGHT);
    expect(textCost(`${'東'.repeat(100)} ${'!'.repeat(100)}`, Infinity)).toBe(200 * LONG_RUN_WEIGHT + 1);
    expect(textCost('x'.repeat(1 << 20), 5_000)).toBeLessThan(5_000 + 2 * LONG_RUN_CHARS * LONG_RUN_WEIGHT); // stops reading at the bound
  });

  it('counts here what is cheap (small, or already in the per-text cache), on the worker what is not', async () => {
    const prose = (n: number, seed: number) => Array.from({ length: n }, (_, i) => `word${(i * 7 + seed) % 97} `).join('').slice(0, n);
    expect(countsOffThread([{ role: 'user', content: 'x'.repeat(OFF_THREAD_CHARS - 10) }], ['o200k_base'], OFF_THREAD_CHARS - 6)).toBe(false);
    expect(countsOffThread([{ role: 'user', content: 'x'.repeat(2_000) }], ['o200k_base'], 2_004)).toBe(true); // one unbroken run
    expect(countsOffThread([{ role: 'user', content: prose(2_000, 1) }], ['o200k_base'], 2_004)).toBe(false);
    const fresh = [{ role: 'user', content: prose(COUNT_HERE_BUDGET, 2) }];
    expect(countsOffThread(fresh, ['o200k_base'], COUNT_HERE_BUDGET + 4)).toBe(true);
    // The agent request (~19 Ki characters of text): tool results it resends were counted before, so it is counted here.
    const agent = textMessages(validateRequest({ tenant: 't', messages: agentMessages(1), tools: agentTools() }).messages);
    const chars = agent.reduce((a, m) => a + m.content.length + m.role.length, 0);
    expect(chars).toBeGreaterThan(COUNT_HERE_BUDGET);
    expect(countsOffThread(agent, ['o200k_base'], chars)).toBe(true);
    const counted = countPromptByEncoding(agent, ['o200k_base']);
    const next = textMessages(validateRequest({ tenant: 't', messages: agentMessages(2), tools: agentTools() }).messages); // another ticket, same tool results
    expect(countsOffThread(next, ['o200k_base'], chars)).toBe(false);
    expect(countsOffThread(next, ['o200k_base', 'cl100k_base'], chars)).toBe(true); // not yet counted with cl100k
    expect(await countPromptOffThread(agent, ['o200k_base'], chars)).toEqual(counted);
    // Counted on the worker, the texts' counts come back to this thread: the conversation's next request is counted here.
    const off = await countPromptOffThread(next, ['cl100k_base'], chars);
    const after = textMessages(validateRequest({ tenant: 't', messages: agentMessages(3), tools: agentTools() }).messages);
    expect(countsOffThread(after, ['o200k_base', 'cl100k_base'], chars)).toBe(false);
    expect(off).toEqual(countPromptByEncoding(next, ['cl100k_base']));
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
