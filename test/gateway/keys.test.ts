import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashKey, KeyStore, presentedKey } from '../../gateway/api-keys.js';
import { runCli } from '../../cli/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), isTty: false });
  return { code, out, err };
}

describe('tollgate keys', () => {
  it('prints a new tg- key once and stores only its SHA-256', async () => {
    const file = join(dir, 'keys.json');
    const r = await cli('keys', 'add', 'acme', '--keys', file);
    expect(r.code).toBe(0);
    const key = r.out.trim();
    expect(key).toMatch(/^tg-[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(key);
    expect(JSON.parse(text).keys[0]).toMatchObject({ hash: hashKey(key), tenant: 'acme' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = (await cli('keys', 'add', 'acme', '--keys', file)).out.trim();
    expect(second).not.toBe(key);
    const store = new KeyStore(file);
    expect(store.tenantFor(key)).toBe('acme');
    expect(store.tenantFor(second)).toBe('acme');
    expect(store.tenantFor('tg-nope')).toBeUndefined();
    const list = await cli('keys', 'list', '--keys', file);
    expect(list.out.split('\n').filter(Boolean)).toHaveLength(2);
    expect(list.out).not.toContain(key);
  });

  it('refuses a malformed key file with a typed one-line error; reads Bearer and x-api-key', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, keys: [{ hash: 'plaintext-key', tenant: 'x' }] }));
    const r = await cli('keys', 'list', '--keys', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/key_file_invalid.*keys\.0\.hash/);
    expect(presentedKey({ authorization: 'Bearer tg-abc' })).toBe('tg-abc');
    expect(presentedKey({ 'x-api-key': 'tg-def' })).toBe('tg-def');
    expect(presentedKey({ authorization: 'Basic xyz' })).toBeUndefined();
  });

  it('documents serve, keys, chargeback and reconcile with an example in --help', async () => {
    for (const c of [['serve'], ['keys', 'add'], ['keys', 'list'], ['chargeback'], ['reconcile']]) {
      const r = await cli(...c, '--help');
      expect(r.code).toBe(0);
      expect(r.out, c.join(' ')).toContain('Example:');
    }
  });
});
