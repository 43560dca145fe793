import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, type Harness, post, startHarness } from '../gateway/harness.js';
import { COST_AWARE, tempDir } from '../offline/simulation/fixtures.js';
import { cli, expectOneLineError } from './capture-io.js';

/** A port something already listens on. */
async function busyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

describe('rough edges (#13 item 8)', () => {
  it('tollgate --version prints the package version', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a busy port is one line, not a stack trace (serve and playground)', async () => {
    const { server, port } = await busyPort();
    try {
      const dir = tempDir('tollgate-busy-');
      const keys = join(dir, 'keys.json');
      expect((await cli('keys', 'add', 'acme', '--keys', keys)).code).toBe(0);
      expectOneLineError(
        await cli('serve', '--policy', COST_AWARE, '--keys', keys, '--log', join(dir, 'd.jsonl'), '--port', String(port)),
        new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`),
      );
      const pg = await cli('playground', '--port', String(port));
      expectOneLineError({ code: pg.code, err: pg.err.split('\n').filter((l) => !/^(note|warning)/.test(l)).join('\n') }, new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`));
    } finally {
      server.close();
    }
  });

  it('report --log on a file that is not a decision log is an error, not an empty report', async () => {
    const dir = tempDir('tollgate-notlog-');
    const csv = join(dir, 'usage.csv');
    writeFileSync(csv, 'date,model,cost\n2025-03-01,gpt-4o,1.25\n2025-03-02,gpt-4o,2.5\n');
    expectOneLineError(await cli('report', '--log', csv), /^error: .*usage\.csv is not a decision log: none of its 3 lines is a decision record \(line 1: /);
  });
});

describe('gateway: a text/plain body', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ primary: 'ok' });
  });
  afterAll(() => h.close());

  it('is 415 unsupported_media_type, as documented', async () => {
    const r = await post(h, JSON.stringify(ask('hello')), { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.json).toMatchObject({ error: { type: 'invalid_request_error', code: 'unsupported_media_type' } });
  });
});
