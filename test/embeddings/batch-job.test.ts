import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchInputError, LanceDbStore, createEmbedder, runEmbedJob, type Embedder } from '../../embeddings/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let root: string;
let embedder: Embedder;
const subjects = ['invoice', 'password', 'refund', 'shipping', 'router', 'contract', 'vaccine', 'telescope', 'budget', 'garden'];
const verbs = ['explain', 'summarise', 'translate', 'review', 'fix'];

/** n lines over 3 tenants, where every 4th line repeats an earlier text of the same tenant. */
function corpus(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const j = i % 4 === 3 ? i - 3 : i;
    const text = `Please ${verbs[j % 5]} the ${subjects[j % 10]} note number ${j} for ${['alice', 'bob', 'carol'][j % 3]}.`;
    lines.push(JSON.stringify({ id: `doc-${i}`, text, tenant: `tenant-${j % 3}` }));
  }
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tollgate-job-'));
  embedder = await createEmbedder();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function openStore(db: string): Promise<LanceDbStore> {
  return LanceDbStore.open({ dir: db, modelVersion: embedder.modelVersion, dimension: embedder.dimension });
}

describe('runEmbedJob', () => {
  it('embeds each distinct text once, reports dedup savings, and a rerun stores nothing new', async () => {
    const input = path.join(root, 'a.jsonl');
    await writeFile(input, corpus(400) + JSON.stringify({ text: 'Please explain the invoice note number 0 for alice.', tenant: 'tenant-x' }) + '\n');
    const db = path.join(root, 'db-a');
    const store = await openStore(db);
    const progress: number[] = [];
    const cost = { device: 'cpu' as const, costPerHourMicros: 3_600_000_000 };
    const stats = await runEmbedJob({ input, embedder, store, batchSize: 64, cost, onProgress: (p) => progress.push(p.linesRead) });
    expect(stats.texts).toBe(401);
    expect(stats.dedup.exactDuplicates).toBe(100);
    expect(stats.embedded).toBe(300); // tenant-x's text equals tenant-0's: embedded once, stored for both
    expect(stats.stored).toBe(301);
    expect(stats.dedup.textsSaved).toBe(101);
    expect(stats.dedup.tokensSaved).toBeGreaterThan(0);
    expect(Number.isInteger(stats.dedup.moneySavedMicros)).toBe(true);
    expect(Number.isInteger(stats.costPerMillionTokensMicros)).toBe(true);
    expect(progress.at(-1)).toBe(401);
    const again = await runEmbedJob({ input, embedder, store, batchSize: 64 });
    expect(again).toMatchObject({ embedded: 0, stored: 0 });
    expect(again.dedup.alreadyStored).toBe(301);
    expect(await store.count('default')).toBe(301);
    await store.close();
  });

  it('an aborted job resumes without duplicates', async () => {
    const input = path.join(root, 'b.jsonl');
    await writeFile(input, corpus(600));
    const db = path.join(root, 'db-b');
    const store = await openStore(db);
    const controller = new AbortController();
    const aborted = runEmbedJob({ input, embedder, store, batchSize: 100, signal: controller.signal, onProgress: (p) => p.linesRead >= 200 && controller.abort() });
    await expect(aborted).rejects.toThrow();
    const partial = await store.count('default');
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(450);
    const resumed = await runEmbedJob({ input, embedder, store, batchSize: 100 });
    expect(resumed.dedup.alreadyStored).toBe(partial);
    expect(await store.count('default')).toBe(450);
    await store.close();
  });

  it('a SIGKILLed job process resumes without duplicates', async () => {
    const input = path.join(root, 'c.jsonl');
    await writeFile(input, corpus(2000));
    const db = path.join(root, 'db-c');
    const child = spawn(process.execPath, ['--import', 'jiti/register', path.join(here, 'fixtures', 'run-embed-job.ts'), input, db], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('progress')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((r) => child.once('close', r));
    const store = await openStore(db);
    const partial = await store.count('default');
    expect(partial).toBeLessThan(1500);
    const resumed = await runEmbedJob({ input, embedder, store, batchSize: 500 });
    expect(resumed.dedup.alreadyStored).toBe(partial);
    expect(await store.count('default')).toBe(1500);
    await store.close();
  }, 60_000);

  it('skips near-duplicates of stored rows when a threshold is set', async () => {
    const input = path.join(root, 'd.jsonl');
    const db = path.join(root, 'db-d');
    const store = await openStore(db);
    await writeFile(input, JSON.stringify({ text: 'How do I reset my password?' }) + '\n');
    await runEmbedJob({ input, embedder, store });
    await writeFile(input, [{ text: 'How do I reset my password ?' }, { text: 'How do I reset my password?!' }, { text: 'Ship the parcel to Berlin by Friday.' }].map((r) => JSON.stringify(r)).join('\n'));
    const stats = await runEmbedJob({ input, embedder, store, nearDuplicateThreshold: 0.9 });
    expect(stats.dedup.nearDuplicates).toBe(2);
    expect(stats.stored).toBe(1);
    await store.close();
  });

  it('a malformed line gives BatchInputError with its line number', async () => {
    const input = path.join(root, 'e.jsonl');
    await writeFile(input, '{"text":"fine"}\n{"text": 5}\n');
    const store = await openStore(path.join(root, 'db-e'));
    await expect(runEmbedJob({ input, embedder, store })).rejects.toMatchObject({ constructor: BatchInputError, line: 2, code: 'batch_input_invalid' });
    await store.close();
  });
});
