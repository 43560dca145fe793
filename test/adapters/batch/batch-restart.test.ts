import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchJob } from '../../../adapters/batch/batch-job-store.js';
import { FakeBatchVendor } from './batch-fake-vendor.js';

const CHILD = fileURLToPath(new URL('./batch-child.ts', import.meta.url));

function start(url: string, dir: string, mode: 'submit' | 'resume' | 'resume-slow'): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'jiti/register', CHILD, url, dir, mode], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

async function until(what: string, test: () => boolean, out?: () => string): Promise<void> {
  for (let i = 0; i < 6_000 && !test(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!test()) throw new Error(`timed out waiting for ${what}${out ? `; output: ${out().slice(-2_000)}` : ''}`);
}

describe('vendor batch jobs survive SIGKILL (#18 item 6)', () => {
  let vendor: FakeBatchVendor;
  beforeAll(async () => {
    vendor = await new FakeBatchVendor().start();
  });
  afterAll(() => vendor.close());

  it('killed while jobs are in progress and one is being submitted, then restarted: nothing submitted twice, nothing lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-batch-kill-'));
    vendor.holdCreate = 3; // the third create reaches the vendor, its answer never reaches the process
    vendor.completeAfterPolls = 2;
    const first = start(vendor.url, dir, 'submit');
    await until('the third batch create', () => vendor.creates >= 3);
    const saved = JSON.parse(readFileSync(join(dir, 'batch-jobs.json'), 'utf8')) as BatchJob[];
    expect(saved.map((j) => j.state)).toEqual(['in_progress', 'in_progress', 'submitting', 'queued']);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(null);
    expect(first.out()).toContain('deferred');
    expect(first.out()).not.toContain('submitted');

    vendor.holdCreate = 0;
    const second = start(vendor.url, dir, 'resume');
    expect(await second.exited, second.out()).toBe(0);
    expect(second.out()).toContain('done');
    // The held job was adopted (found by its metadata), not created again: four jobs, four creates.
    expect(vendor.creates).toBe(4);
    const jobs = JSON.parse(readFileSync(join(dir, 'batch-jobs.json'), 'utf8')) as BatchJob[];
    expect(jobs.map((j) => j.state)).toEqual(['settled', 'settled', 'settled', 'settled']);
    expect(new Set(jobs.map((j) => j.vendorBatchId)).size).toBe(4);
    const records = readFileSync(join(dir, 'decisions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { requestId: string; outcome: string });
    expect(records).toHaveLength(1_000);
    expect(new Set(records.map((r) => r.requestId)).size).toBe(1_000);
    expect(records.every((r) => r.outcome === 'ok')).toBe(true);
  }, 120_000);

  it('killed while settling, then restarted: the records already in the decision log are not written again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-batch-kill-settle-'));
    vendor.completeAfterPolls = 3; // the submitting process polls each job once: nothing settles before the kill
    const creates = vendor.creates;
    const first = start(vendor.url, dir, 'submit');
    await until('every job submitted', () => first.out().includes('submitted'));
    first.child.kill('SIGKILL');
    await first.exited;
    const second = start(vendor.url, dir, 'resume-slow');
    await until('450 records settled', () => /appended 450\b/.test(second.out()), second.out);
    second.child.kill('SIGKILL');
    await second.exited;
    const before = readFileSync(join(dir, 'decisions.jsonl'), 'utf8').split('\n').filter((l) => l.endsWith('}')).length;
    expect(before).toBeGreaterThanOrEqual(450); // killed with part of the jobs settled
    const third = start(vendor.url, dir, 'resume');
    expect(await third.exited, third.out()).toBe(0);
    expect(vendor.creates - creates).toBe(4);
    const records = readFileSync(join(dir, 'decisions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { requestId: string });
    expect(records).toHaveLength(1_000);
    expect(new Set(records.map((r) => r.requestId)).size).toBe(1_000);
  }, 180_000);
});
