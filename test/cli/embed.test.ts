import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-embed-'));
const input = join(dir, 'docs.jsonl');
writeFileSync(
  input,
  [
    { id: '1', text: 'Tollgate routes each request to the cheapest good-enough model.' },
    { id: '2', text: 'Tollgate routes each request to the cheapest good-enough model.' },
    { id: '3', text: 'LanceDB stores the vectors on local disk.', tenant: 'other' },
    { id: '4', text: 'Budgets are reserved before the call and settled after it.' },
  ].map((l) => JSON.stringify(l)).join('\n') + '\n',
);

describe('tollgate embed', () => {
  it('embeds once, dedups exact repeats, and a rerun embeds nothing (resumable by content hash)', async () => {
    const db = join(dir, 'db');
    const first = await cli('embed', '--input', input, '--db', db, '--table', 'docs', '--json');
    expect(first.code).toBe(0);
    const s1 = JSON.parse(first.out);
    expect(s1).toMatchObject({ texts: 4, embedded: 3, stored: 3 });
    expect(s1.dedup.exactDuplicates).toBe(1);
    const again = JSON.parse((await cli('embed', '--input', input, '--db', db, '--table', 'docs', '--json')).out);
    expect(again).toMatchObject({ texts: 4, embedded: 0, stored: 0 });
    expect(again.dedup.alreadyStored).toBe(3);
    const text = await cli('embed', '--input', input, '--db', db, '--table', 'docs');
    expect(text.out).toMatch(/texts 4, embedded 0, stored 0/);
  });

  it('gives one-line errors for a missing input, a missing --db and an unavailable device', async () => {
    const missing = await cli('embed', '--input', join(dir, 'nope.jsonl'), '--db', join(dir, 'db2'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^error: input not found/);
    expect((await cli('embed', '--input', input)).err).toMatch(/--db <dir> is required/);
    const cuda = await cli('embed', '--input', input, '--db', join(dir, 'db3'), '--device', 'cuda');
    expect(cuda.code).toBe(1);
    expect(cuda.err.trim().split('\n')).toHaveLength(1);
    expect(cuda.err).toMatch(/execution_provider_unavailable.*cuda/);
  });
});
