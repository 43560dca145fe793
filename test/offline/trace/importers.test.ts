import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importAzureTrace, importBurstGpt, openTrace, type TraceRequest } from '../../../offline/trace/index.js';
import { collect, fixture, SHARED_AZURE_TRACE, tempDir } from './fixtures.js';

async function totals(requests: AsyncIterable<TraceRequest>) {
  let count = 0;
  let prompt = 0;
  let output = 0;
  let first: TraceRequest | undefined;
  let last: TraceRequest | undefined;
  for await (const r of requests) {
    count += 1;
    prompt += r.promptTokens ?? 0;
    output += r.outputTokens ?? 0;
    first ??= r;
    last = r;
  }
  return { count, prompt, output, first, last };
}

describe('Azure LLM inference trace importer', () => {
  it('imports every row of the 300-row sample with exact token sums', async () => {
    const t = await totals(importAzureTrace(fixture('azure-sample.csv')));
    expect(t).toMatchObject({ count: 300, prompt: 270_000, output: 76_870 });
    expect(t.first).toEqual({
      id: 'azure:2',
      timestamp: Date.UTC(2023, 10, 16, 18, 15, 46, 680),
      tenant: 'azure',
      promptTokens: 374,
      outputTokens: 44,
      tags: ['source:azure'],
    });
    expect(t.last?.timestamp).toBe(Date.UTC(2023, 10, 16, 18, 17, 10, 709));
  });

  it('takes tenant and task from options', async () => {
    const [first] = await collect(importAzureTrace(fixture('azure-sample.csv'), { tenant: 'prod', task: 'chat' }));
    expect(first).toMatchObject({ tenant: 'prod', task: 'chat' });
  });

  it.skipIf(!existsSync(SHARED_AZURE_TRACE))('imports the real conversation trace: 19,366 rows, token sums equal the CSV', async () => {
    const source = await openTrace(SHARED_AZURE_TRACE);
    expect(source.format).toBe('azure');
    const t = await totals(source);
    expect(t).toMatchObject({ count: 19_366, prompt: 22_361_870, output: 4_088_665 });
    expect(t.first).toMatchObject({ tenant: 'azure-conv', tags: ['source:azure', 'azure:conv'] });
    expect(source.stats).toMatchObject({ requests: 19_366, skipped: 0 });
  });
});

describe('BurstGPT importer', () => {
  it('imports the 40-row sample with exact token sums and seconds-from-start timestamps', async () => {
    const t = await totals(importBurstGpt(fixture('burstgpt-sample.csv')));
    expect(t).toMatchObject({ count: 40, prompt: 26_486, output: 6_094 });
    expect(t.first).toEqual({
      id: 'burstgpt:2',
      timestamp: Date.UTC(2023, 0, 1) + 42_000,
      tenant: 'burstgpt-conversation',
      promptTokens: 533,
      outputTokens: 160,
      tags: ['source:burstgpt', 'model:chatgpt', 'log:conversation'],
    });
  });

  it('splits tenants by Log Type, keeps zero-token responses, honours start and tenant', async () => {
    const all = await collect(importBurstGpt(fixture('burstgpt-sample.csv')));
    expect(new Set(all.map((r) => r.tenant))).toEqual(new Set(['burstgpt-conversation', 'burstgpt-api']));
    expect(all.some((r) => r.tags.includes('model:gpt-4'))).toBe(true);
    expect(all.find((r) => r.id === 'burstgpt:19')?.outputTokens).toBe(0);
    const [first] = await collect(importBurstGpt(fixture('burstgpt-sample.csv'), { start: '2024-01-01T00:00:00Z', tenant: 'one' }));
    expect(first).toMatchObject({ timestamp: Date.UTC(2024, 0, 1) + 42_000, tenant: 'one' });
  });

  it('rejects a bad start option with a ValidationError', async () => {
    await expect(collect(importBurstGpt(fixture('burstgpt-sample.csv'), { start: 'last week' }))).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('matches columns by name, in any order and case', async () => {
    const file = join(tempDir(), 'reordered.csv');
    writeFileSync(file, '\uFEFFlog type,total tokens,response tokens,request tokens,model,timestamp\r\nAPI log,15,5,10,GPT-4,1.5\r\n');
    expect(await collect(await openTrace(file))).toEqual([
      { id: 'burstgpt:2', timestamp: Date.UTC(2023, 0, 1) + 1500, tenant: 'burstgpt-api', promptTokens: 10, outputTokens: 5, tags: ['source:burstgpt', 'model:gpt-4', 'log:api'] },
    ]);
  });
});
