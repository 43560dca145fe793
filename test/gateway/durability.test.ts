import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DURABILITY, JsonlDecisionSink } from '../../adapters/sinks/jsonl-decision-sink.js';
import { createTollgate } from '../../compose.js';
import type { DecisionRecord } from '../../engine/decision-record.js';
import { addKey } from '../../gateway/api-keys.js';

/**
 * `--durability fsync|write|none` (docs/gateway.md, "Durability"): what is in the file when an append
 * resolves, what close leaves, and the warning `serve --durability none` prints. (That `write` survives a
 * SIGKILL is test/gateway/gateway-sigkill.test.ts.)
 */

const dir = mkdtempSync(join(tmpdir(), 'tg-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (i: number) => ({ requestId: `r-${i}`, time: new Date(1_700_000_000_000 + i).toISOString() }) as unknown as DecisionRecord;
const lines = (p: string) => readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).requestId as string);

describe('JsonlDecisionSink durability modes', () => {
  it('defaults to write', async () => {
    expect(DEFAULT_DURABILITY).toBe('write');
    const sinks = [new JsonlDecisionSink(join(dir, 'default.jsonl')), new JsonlDecisionSink(join(dir, 'legacy.jsonl'), { durable: false }), new JsonlDecisionSink(join(dir, 'legacy2.jsonl'), { durable: true })];
    expect(sinks.map((s) => s.durability)).toEqual(['write', 'write', 'fsync']);
    for (const s of sinks) await s.close();
  });

  it.each(['fsync', 'write'] as const)('%s: a resolved append is already in the file (written to the OS)', async (durability) => {
    const path = join(dir, `${durability}.jsonl`);
    const sink = new JsonlDecisionSink(path, { durability });
    await sink.append(record(0));
    expect(lines(path)).toEqual(['r-0']);
    // A burst in one tick is one group; every append resolves after its line is in the file.
    await Promise.all(Array.from({ length: 50 }, (_, i) => sink.append(record(i + 1)).then(() => expect(lines(path)).toContain(`r-${i + 1}`))));
    await sink.close();
    expect(lines(path)).toEqual(Array.from({ length: 51 }, (_, i) => `r-${i}`));
  });

  it('none: append resolves before the write; close leaves every record in the file', async () => {
    const path = join(dir, 'none.jsonl');
    const sink = new JsonlDecisionSink(path, { durability: 'none' });
    await sink.append(record(0));
    expect(existsSync(path) ? readFileSync(path, 'utf8') : '').toBe(''); // answered before written: benchmarks only
    for (let i = 1; i < 20; i++) await sink.append(record(i));
    await sink.close();
    expect(lines(path)).toEqual(Array.from({ length: 20 }, (_, i) => `r-${i}`));
  });

  it('write: two sinks (two processes of serve --workers) appending to one file keep whole lines', async () => {
    const path = join(dir, 'shared.jsonl');
    const a = new JsonlDecisionSink(path, { durability: 'write' });
    const b = new JsonlDecisionSink(path, { durability: 'write', skipRepair: true });
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).append(record(i))));
    await Promise.all([a.close(), b.close()]);
    expect(new Set(lines(path))).toEqual(new Set(Array.from({ length: 200 }, (_, i) => `r-${i}`)));
  });

  it('createTollgate({ decisionLog: path, durability }) builds the sink in that mode', async () => {
    const tg = createTollgate({ policy: { name: 'd', models: [{ id: 'm', tier: 'vendor', adapter: 'simulated', contextWindow: 8000, prices: { inputPerM: 1, outputPerM: 1 }, quality: 0.9 }], rules: [{ name: 'all', models: ['m'] }] }, decisionLog: join(dir, 'tg.jsonl'), durability: 'fsync' });
    const r = await tg.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'hello' }], maxOutputTokens: 8 });
    expect(lines(join(dir, 'tg.jsonl'))).toEqual([r.record.requestId]);
    await tg.close();
  });
});

describe('tollgate serve --durability', () => {
  it('none prints a warning line at start; a bad mode is one usage line', async () => {
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ name: 'd', models: [{ id: 'm', tier: 'vendor', adapter: 'simulated', contextWindow: 8000, prices: { inputPerM: 1, outputPerM: 1 }, quality: 0.9 }], rules: [{ name: 'all', models: ['m'] }] }));
    const keys = join(dir, 'keys.json');
    addKey(keys, 'acme');
    const run = (mode: string) =>
      new Promise<{ out: string; err: string; code: number | null }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'jiti/register', 'cli/main.ts', 'serve', '--policy', policy, '--port', '0', '--keys', keys, '--log', join(dir, `serve-${mode}.jsonl`), '--durability', mode], { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('listening on')) child.kill('SIGTERM');
        });
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => resolve({ out, err, code }));
      });
    const none = await run('none');
    expect(none.err).toMatch(/^WARNING: --durability none: .*FOR BENCHMARKS ONLY/m);
    expect(none.out).toMatch(/durability none/);
    const bad = await run('sometimes');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('--durability must be one of fsync, write, none');
  }, 120_000);
});
