import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addKey } from '../../gateway/api-keys.js';
import { batchClients, deferredStorePath, parseFlagDuration, serveDeferredOptions } from '../../cli/commands/serve-deferred.js';
import type { BatchJob } from '../../adapters/batch/batch-job-store.js';
import { sampleRecord } from '../support/decision-records.js';
import { resolvePolicy } from '../../policies/loader.js';
import type { PolicyInput } from '../../policies/schema.js';
import { deferPolicy } from '../engine/deferrable-fixtures.js';
import { cli, expectOneLineError } from './capture-io.js';

/** `serve --deferred`'s bad input (one usage line each, before anything listens) and the batch clients it derives from a policy. */
const dir = mkdtempSync(join(tmpdir(), 'tg-serve-deferred-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
addKey(join(dir, 'keys.json'), 'acme');

function policyFile(name: string, p: PolicyInput): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(p));
  return path;
}
const fixture = policyFile('defer', deferPolicy('http://127.0.0.1:9'));
const serve = (...args: string[]) => cli('serve', '--policy', fixture, '--keys', join(dir, 'keys.json'), '--log', join(dir, 'd.jsonl'), '--port', '0', ...args);

describe('serve --deferred flags', () => {
  it('bad flush settings, --workers > 1 and a policy with no batch API are one usage line each', async () => {
    expectOneLineError(await serve('--deferred', '--batch-max-age', 'tomorrow'), /--batch-max-age must be a duration like 250ms, 30s, 5m or 1h, got "tomorrow"/);
    expectOneLineError(await serve('--deferred', '--batch-max-size', '0'), /--batch-max-size must be an integer 1-50000, got "0"/);
    expectOneLineError(await serve('--deferred', '--batch-poll', '1ms'), /--batch-poll must be at least 10ms/);
    expectOneLineError(await serve('--deferred', '--workers', '2'), /--deferred needs --workers 1/);
    const p = deferPolicy('http://127.0.0.1:9');
    const localOnly = policyFile('local', { ...p, models: p.models.filter((m) => m.id === 'local'), rules: [{ name: 'all', models: ['local'] }] });
    expectOneLineError(await cli('serve', '--policy', localOnly, '--keys', join(dir, 'keys.json'), '--log', join(dir, 'd.jsonl'), '--port', '0', '--deferred'), /--deferred: the policy has no vendor model with a usable batch API/);
  });

  it('durations in ms, s, m and h', () => {
    expect([parseFlagDuration('--x', '250ms'), parseFlagDuration('--x', '30s'), parseFlagDuration('--x', '5m'), parseFlagDuration('--x', '1h'), parseFlagDuration('--x', '0s')]).toEqual([250, 30_000, 300_000, 3_600_000, 0]);
    expect(() => parseFlagDuration('--x', '5 m')).toThrow(/--x must be a duration/);
  });

  it('one batch client per vendor from the vendor models; endpoints that disagree or an unset key variable leave that vendor off, with a note', () => {
    const p = deferPolicy('http://127.0.0.1:9');
    const notes: string[] = [];
    expect(Object.keys(batchClients(resolvePolicy(p), (l) => notes.push(l))).sort()).toEqual(['anthropic', 'openai']);
    expect(notes).toEqual([]);

    const two: PolicyInput = { ...p, models: [...p.models, { id: 'other-openai', tier: 'vendor', adapter: 'openai-compatible', endpoint: 'http://127.0.0.1:10/v1', contextWindow: 8192, prices: { inputPerM: 1, outputPerM: 1 } }] };
    expect(Object.keys(batchClients(resolvePolicy(two), (l) => notes.push(l)))).toEqual(['anthropic']);
    expect(notes).toEqual([expect.stringContaining('openai batch API off: its models use 2 different endpoints or keys (gpt-4o-mini / other-openai)')]);

    notes.length = 0;
    delete process.env.TG_UNSET_BATCH_KEY;
    const unset: PolicyInput = { ...p, models: p.models.map((m) => (m.id === 'claude-haiku' ? { ...m, apiKeyEnv: 'TG_UNSET_BATCH_KEY' } : m)) };
    expect(Object.keys(batchClients(resolvePolicy(unset), (l) => notes.push(l)))).toEqual(['openai']);
    expect(notes).toEqual(['note: --deferred: anthropic batch API off: environment variable TG_UNSET_BATCH_KEY is not set']);
  });

  it('serve --help lists the flags', async () => {
    const r = await cli('serve', '--help');
    for (const f of ['--deferred', '--batch-max-size <n>', '--batch-max-age <duration>', '--batch-poll <duration>', '<log>.deferred/']) expect(r.out).toContain(f);
  });

  it('builds the batcher options on <log>.deferred/jobs.json; lines of a job killed while settling that the log already has count as settled', async () => {
    const log = join(dir, 'resume.jsonl');
    const flags = { deferred: true, batchMaxSize: '7', batchMaxAge: '5m', batchPoll: '2s' };
    const loaded = resolvePolicy(deferPolicy('http://127.0.0.1:9'));
    const fresh = (await serveDeferredOptions(flags, loaded, { log, jsonlLog: true, workers: 1, note: () => undefined }))!;
    expect(fresh).toMatchObject({ maxLines: 7, maxAgeMs: 300_000, pollMs: 2_000 });
    expect(existsSync(join(`${log}.deferred`))).toBe(true);
    expect(fresh.isSettled!('r-logged')).toBe(false);
    expect(await serveDeferredOptions({ ...flags, deferred: false }, loaded, { log, jsonlLog: true, workers: 4, note: () => undefined })).toBeUndefined();

    const line = (id: string) => ({ customId: id, tenant: 'acme', model: 'gpt-4o-mini', upstreamModel: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], maxOutputTokens: 8, deferredAt: 0, deadline: 1 });
    const job: BatchJob = { id: 'job_1', vendor: 'openai', model: 'gpt-4o-mini', state: 'completed', lines: [line('r-logged'), line('r-missing')], createdAt: 0, vendorBatchId: 'batch_1' };
    mkdirSync(`${log}.deferred`, { recursive: true });
    writeFileSync(deferredStorePath(log), JSON.stringify([job]));
    writeFileSync(log, `${JSON.stringify(sampleRecord(1, { requestId: 'r-logged' }))}\n${JSON.stringify(sampleRecord(2, { requestId: 'r-other' }))}\n`);
    const resumed = (await serveDeferredOptions(flags, loaded, { log, jsonlLog: true, workers: 1, note: () => undefined }))!;
    expect([resumed.isSettled!('r-logged'), resumed.isSettled!('r-missing'), resumed.isSettled!('r-other')]).toEqual([true, false, false]);
    expect(typeof resumed.store === 'string' ? [] : resumed.store.all().map((j) => j.id)).toEqual(['job_1']);
  });
});
