import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TollgateMetrics } from '../../adapters/observers/prometheus-metrics.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import { decisionRecordSchema } from '../../engine/decision-record.js';
import type { PolicyInput } from '../../policies/schema.js';
import { fakeAnswer, type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';

/**
 * #15 item 5: the difference between the pre-count and the vendor's input count is recorded per request
 * (`tokens.precountDelta` = vendor − pre-count) and matches the exported metrics. The fake vendor counts
 * prompt tokens its own way (characters / 4 of the contents, not tiktoken, and no tool definitions), so its
 * `prompt_tokens` differs from Tollgate's pre-count as a real vendor's can.
 */
let vendor: FakeVendor;
beforeAll(async () => {
  vendor = await startFakeVendor();
});
afterAll(() => vendor.close());

const tools = [{ type: 'function' as const, function: { name: 'lookup', description: 'Looks an order up.', parameters: { type: 'object', properties: { id: { type: 'string', description: 'The order id' } } } } }];
const ask = (content: string) => ({ tenant: 'acme', messages: [{ role: 'user' as const, content }], tools, maxOutputTokens: 32 });

function setup(adapter: 'openai-compatible' | 'simulated') {
  const policy: PolicyInput = {
    name: 'precount-delta',
    models: [{ id: 'm', tier: 'vendor', adapter, endpoint: vendor.openaiBaseUrl, upstreamModel: 'ok', contextWindow: 128_000, prices: { inputPerM: 1, outputPerM: 2 }, quality: 0.9 }],
    rules: [{ name: 'all', models: ['m'] }],
  };
  const sink = new MemoryDecisionSink();
  const metrics = new TollgateMetrics();
  const tg = createTollgate({ policy, decisionLog: sink, observers: [(r, t) => metrics.observe(r, { precountedInputTokens: t.precountedInputTokens })] });
  const series = async (name: string) => Number(parsePrometheusTextFormat(await metrics.metrics()).find((f) => f.name === name)?.metrics.find((m) => m.labels?.tenant === 'acme')?.value ?? 0);
  return { tg, sink, series };
}

describe('pre-count vs vendor count, per request', () => {
  it('a vendor reporting other prompt_tokens than the pre-count: the record carries vendor − pre-count, and the metrics agree', async () => {
    const { tg, sink, series } = setup('openai-compatible');
    const deltas: number[] = [];
    for (const content of ['Where is order 1042? It was due on Monday.', 'Short.', 'A much longer question about refunds, '.repeat(20)]) {
      const precount = (await tg.decide(ask(content))).promptTokens;
      await tg.complete(ask(content));
      const received = vendor.requests.at(-1)!.body as Parameters<typeof fakeAnswer>[0];
      const record = sink.records.at(-1)!;
      expect(record.tokens.source).toBe('vendor');
      expect(record.tokens.input).toBe(fakeAnswer(received).promptTokens); // the vendor's count wins
      expect(record.tokens.input).not.toBe(precount);
      expect(record.tokens.precountDelta).toBe(record.tokens.input - precount);
      expect(decisionRecordSchema.parse(JSON.parse(JSON.stringify(record)))).toEqual(record); // the logged line parses back
      deltas.push(record.tokens.precountDelta!);
    }
    expect(deltas.some((d) => d < 0)).toBe(true); // tool definitions are not in the fake's count: under-reported
    expect((await series('tollgate_input_tokens_vendor_total')) - (await series('tollgate_input_tokens_precounted_total'))).toBe(deltas.reduce((a, b) => a + b, 0));
    await tg.close();
  });

  it('no field when the vendor reported no input count, or when it equals the pre-count (simulated adapter)', async () => {
    const live = setup('openai-compatible');
    vendor.setBehaviour('no-usage');
    try {
      await live.tg.complete(ask('Where is order 1042?'));
    } finally {
      vendor.setBehaviour(undefined);
    }
    expect(live.sink.records.at(-1)!.tokens).not.toHaveProperty('precountDelta');
    expect(live.sink.records.at(-1)!.tokens.source).toBe('tokenizer');
    const sim = setup('simulated');
    await sim.tg.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'Where is order 1042?' }] });
    const r = sim.sink.records.at(-1)!;
    expect(r.tokens.source).toBe('vendor');
    expect(r.tokens).not.toHaveProperty('precountDelta');
    expect(JSON.stringify(r)).not.toContain('precountDelta'); // decision logs of replays stay byte-identical
  });

  it('records written before the field existed still parse', () => {
    const old = { v: 1, time: '2026-01-01T00:00:00.000Z', requestId: 'r', tenant: 't', policy: { name: 'p', version: '1' }, tokens: { input: 1, output: 1, cached: 0, source: 'vendor' }, cost: { vendor: 1, infra: 0, ops: 0, full: 1 }, latencyMs: 1, outcome: 'ok' };
    expect(decisionRecordSchema.parse(old).tokens.precountDelta).toBeUndefined();
    expect(decisionRecordSchema.safeParse({ ...old, tokens: { ...old.tokens, precountDelta: 1.5 } }).success).toBe(false);
  });
});
