import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBatchJobStore } from '../../../adapters/batch/batch-job-store.js';
import { BatchUnsupportedError, DeferredBatcher } from '../../../adapters/batch/deferred-batcher.js';
import { AnthropicBatchClient, OpenAIBatchClient } from '../../../adapters/batch/vendor-batch-client.js';
import { fullCost, MemoryDecisionSink } from '../../../index.js';
import { FakeBatchVendor } from './batch-fake-vendor.js';
import { batchPolicy, deferrable } from './batch-fixtures.js';

describe('deferrable work through vendor batch APIs (#18 item 6)', () => {
  let vendor: FakeBatchVendor;
  beforeAll(async () => {
    vendor = await new FakeBatchVendor().start();
  });
  afterAll(() => vendor.close());

  const batcher = (store: FileBatchJobStore, sink: MemoryDecisionSink, issues: string[] = []) =>
    new DeferredBatcher({
      policy: batchPolicy(vendor.url),
      clients: { openai: new OpenAIBatchClient({ baseUrl: vendor.url, apiKey: 'sk-test' }), anthropic: new AnthropicBatchClient({ baseUrl: vendor.url, apiKey: 'sk-ant-test' }) },
      store,
      sink,
      maxLines: 300,
      pollMs: 5,
      onIssue: (_job, i) => issues.push(i),
    });

  it('1,000 deferrable requests end as 1,000 settled records at batch prices in the expected number of jobs', async () => {
    vendor.failIds = new Set(['req-5', 'req-8']); // one OpenAI, one Anthropic line fails
    vendor.noisy = true;
    const creates = vendor.creates;
    const sink = new MemoryDecisionSink(10_000);
    const issues: string[] = [];
    const store = new FileBatchJobStore(join(mkdtempSync(join(tmpdir(), 'tollgate-batch-')), 'batch-jobs.json'));
    const b = batcher(store, sink, issues);
    const requests = deferrable();
    b.defer(requests);
    const one = b.result('req-0');
    await b.drain();
    // 600 OpenAI lines → 2 jobs of 300; 400 Anthropic → 300 + 100.
    expect(vendor.creates - creates).toBe(4);
    expect(store.all().map((j) => [j.vendor, j.lines.length, j.state])).toEqual([
      ['openai', 300, 'settled'], ['anthropic', 300, 'settled'], ['openai', 300, 'settled'], ['anthropic', 100, 'settled'],
    ]);
    const records = sink.records;
    expect(records).toHaveLength(1_000);
    expect(new Set(records.map((r) => r.requestId)).size).toBe(1_000);
    const policy = batchPolicy(vendor.url);
    for (const r of records) {
      if (r.requestId === 'req-5' || r.requestId === 'req-8') {
        expect(r).toMatchObject({ outcome: 'error', cost: { full: 0 } });
        continue;
      }
      expect(r.outcome).toBe('ok');
      const basis = policy.byId.get(r.model!)!.basis;
      const list = fullCost(basis, { inputTokens: r.tokens.input, outputTokens: r.tokens.output, cachedInputTokens: 0 }).full;
      expect(Math.abs(r.cost.full - list / 2)).toBeLessThanOrEqual(1); // the batch price: half, to rounding
      expect(r.actions![0]).toMatch(/^batch:(openai|anthropic):/);
    }
    expect((await one).requestId).toBe('req-0');
    // Unknown ids and malformed lines are reported per job, never settled.
    expect(issues.filter((i) => i.includes('unknown id nobody'))).toHaveLength(4);
    expect(issues.filter((i) => i.startsWith('malformed'))).toHaveLength(4);
    vendor.failIds = new Set();
    vendor.noisy = false;
  });

  it('an expired batch settles its lines once as errors with no cost; a model without a batch API is a typed error', async () => {
    const sink = new MemoryDecisionSink();
    const store = new FileBatchJobStore(join(mkdtempSync(join(tmpdir(), 'tollgate-batch-')), 'batch-jobs.json'));
    const b = batcher(store, sink);
    vendor.expireNext = true;
    b.defer(deferrable(5).filter((r) => r.model === 'gpt-4o-mini'));
    await b.drain();
    await b.tick(true);
    expect(sink.records.map((r) => [r.outcome, r.error?.code, r.cost.full])).toEqual([
      ['error', 'batch_expired', 0], ['error', 'batch_expired', 0], ['error', 'batch_expired', 0],
    ]);
    expect(() => b.defer([{ ...deferrable(1)[0]!, model: 'local' }])).toThrow(BatchUnsupportedError);
    expect(() => b.defer([{ ...deferrable(1)[0]!, model: 'local' }])).toThrow(/local-gpu model has no vendor batch API/);
    expect(() => b.defer(deferrable(1))).toThrow(/already deferred/); // req-0 is queued here: one line per custom_id
    vendor.expireNext = true;
    b.defer(deferrable(5).filter((r) => r.model === 'claude-haiku'));
    await b.drain();
    expect(sink.records.slice(3).map((r) => r.error?.code)).toEqual(['expired', 'expired']);
  });
});
