import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey } from '../../gateway/api-keys.js';
import { type Harness, startHarness } from './harness.js';

/** Tenancy of client batches: a tenant sees, reads and cancels only its own files and batches; another's id is a 404. */

let h: Harness;
let other: OpenAI;

beforeAll(async () => {
  h = await startHarness({ primary: 'ok' }); // in-memory batch store (no directory given)
  other = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: addKey(h.keysPath, 'globex'), maxRetries: 0 });
  await new Promise((r) => setTimeout(r, 1100)); // the key file is re-read at most once a second
});
afterAll(() => h.close());

const line = (id: string) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'auto', messages: [{ role: 'user', content: `Hello ${id}` }] } });

describe('client batch tenancy', () => {
  it("answers 404 for another tenant's files and batches, and lists only the caller's", async () => {
    const file = await h.client.files.create({ file: await toFile(Buffer.from(`${line('a')}\n${line('b')}\n`), 'acme.jsonl'), purpose: 'batch' });
    const batch = await h.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    let done = batch;
    for (let i = 0; i < 500 && done.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      done = await h.client.batches.retrieve(batch.id);
    }
    expect(done.status).toBe('completed');
    const records = h.sink!.records.filter((r) => r.requestId.startsWith(batch.id));
    expect(records.map((r) => r.tenant)).toEqual(['acme', 'acme']);

    for (const call of [
      () => other.files.retrieve(file.id),
      () => other.files.content(file.id),
      () => other.files.content(done.output_file_id!),
      () => other.files.delete(file.id),
      () => other.batches.retrieve(batch.id),
      () => other.batches.cancel(batch.id),
      () => other.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    }
    const theirs = [];
    for await (const b of other.batches.list()) theirs.push(b.id);
    const theirFiles = [];
    for await (const f of other.files.list()) theirFiles.push(f.id);
    expect(theirs).toEqual([]);
    expect(theirFiles).toEqual([]);
    // the owner still has everything
    expect((await h.client.files.retrieve(file.id)).id).toBe(file.id);
    expect((await (await h.client.files.content(done.output_file_id!)).text()).split('\n').filter(Boolean)).toHaveLength(2);
    const mine = [];
    for await (const f of h.client.files.list()) mine.push(f.purpose);
    expect(mine.sort()).toEqual(['batch', 'batch_output']);
  });

  it('needs a key on every files and batches route', async () => {
    for (const [method, path] of [['GET', '/v1/files'], ['POST', '/v1/files'], ['GET', '/v1/batches'], ['POST', '/v1/batches'], ['GET', '/v1/batches/batch_000000000000000000000000']]) {
      const res = await fetch(`${h.gw.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });
});
