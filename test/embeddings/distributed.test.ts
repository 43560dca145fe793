import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import {
  LanceDbStore,
  createEmbedder,
  enqueueEmbedJob,
  obliterateQueue,
  runEmbedJob,
  startEmbedWorker,
  tableName,
  waitForQueueDrained,
  type Embedder,
} from '../../embeddings/index.js';

const REDIS_URL = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const connection = { redisUrl: REDIS_URL, queueName: 'embed-test', prefix: `tollgate-test-${process.pid}-${Date.now()}` };
let root: string;
let embedder: Embedder;

function corpus(n: number): string {
  const topics = ['billing', 'login', 'shipping', 'refunds', 'security', 'latency', 'pricing'];
  return Array.from({ length: n }, (_, i) => {
    const j = i % 5 === 4 ? i - 2 : i; // repeats, some crossing chunk boundaries
    return JSON.stringify({ id: `q${i}`, text: `Question ${j} about ${topics[j % 7]}: how does it work for team ${j % 13}?`, tenant: `t${j % 4}` });
  }).join('\n');
}

/** Rows sorted by key: metadata as a string, vector apart (ORT sums in a batch-shape-dependent order, so
 * the same text can differ in the last float bits depending on which texts shared its batch). */
async function tableRows(db: string): Promise<Array<{ meta: string; vector: number[] }>> {
  const conn = await lancedb.connect(db);
  const table = await conn.openTable(tableName('default', embedder.modelVersion));
  const rows = (await table.query().toArray()) as Array<Record<string, unknown>>;
  conn.close();
  return rows
    .map((r) => ({ meta: JSON.stringify([r.key, r.tenant, r.namespace, r.hash, r.id, r.text]), vector: Array.from(r.vector as Iterable<number>) }))
    .sort((x, y) => (x.meta < y.meta ? -1 : 1));
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tollgate-dist-'));
  embedder = await createEmbedder();
});
afterAll(async () => {
  await obliterateQueue(connection).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

describe('distributed embedding (BullMQ on a real redis-server)', () => {
  it('3 workers produce the same table, row for row, as one process', async () => {
    const input = path.join(root, 'in.jsonl');
    await writeFile(input, corpus(1500));

    const single = path.join(root, 'single');
    const singleStore = await LanceDbStore.open({ dir: single, modelVersion: embedder.modelVersion, dimension: embedder.dimension });
    await runEmbedJob({ input, embedder, store: singleStore, batchSize: 200 });
    await singleStore.close();

    const multi = path.join(root, 'multi');
    const enqueued = await enqueueEmbedJob({ ...connection, input, chunkSize: 100 });
    expect(enqueued.chunks).toBeGreaterThan(3);
    const workers = await Promise.all(
      [0, 1, 2].map(async () => {
        const store = await LanceDbStore.open({ dir: multi, modelVersion: embedder.modelVersion, dimension: embedder.dimension });
        return { store, handle: await startEmbedWorker({ ...connection, embedder: await createEmbedder(), store }) };
      }),
    );
    await waitForQueueDrained(connection);
    const processed = workers.map((w) => w.handle.totals().texts);
    for (const w of workers) {
      await w.handle.close();
      await w.store.close();
    }
    expect(processed.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(processed.reduce((a, b) => a + b, 0)).toBe(enqueued.texts - enqueued.exactDuplicates);

    const [a, b] = [await tableRows(single), await tableRows(multi)];
    expect(b.length).toBe(a.length);
    expect(b.map((r) => r.meta)).toEqual(a.map((r) => r.meta));
    let maxDiff = 0;
    a.forEach((row, i) => row.vector.forEach((x, k) => (maxDiff = Math.max(maxDiff, Math.abs(x - b[i].vector[k])))));
    expect(maxDiff).toBeLessThan(1e-6);
  }, 60_000);

  it('an attempt that fails (the store throws once) is retried and counted once', async () => {
    const input = path.join(root, 'retry.jsonl');
    await writeFile(input, corpus(250));
    const conn = { ...connection, queueName: 'embed-retry-test' };
    const enqueued = await enqueueEmbedJob({ ...conn, input, chunkSize: 100 });
    const store = await LanceDbStore.open({ dir: path.join(root, 'retry'), modelVersion: embedder.modelVersion, dimension: embedder.dimension });
    let failures = 0;
    const flaky = Object.create(store) as LanceDbStore;
    flaky.upsert = async (records) => {
      if (failures++ === 0) throw new Error('injected store failure');
      return store.upsert(records);
    };
    const handle = await startEmbedWorker({ ...conn, embedder, store: flaky });
    await waitForQueueDrained(conn);
    await handle.close();
    expect(failures).toBeGreaterThan(enqueued.chunks); // one failed attempt, then every chunk once
    expect(handle.totals().texts).toBe(enqueued.texts - enqueued.exactDuplicates);
    expect(handle.totals().stored).toBe(enqueued.texts - enqueued.exactDuplicates);
    await store.close();
    await obliterateQueue(conn);
  }, 60_000);
});
