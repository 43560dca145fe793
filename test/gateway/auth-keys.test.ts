import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addKey, hashKey, KeyStore } from '../../gateway/api-keys.js';
import { runCli } from '../../cli/run-cli.js';
import { ask, startHarness } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-auth-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t), isTty: false });
  return { code, out, err };
}

describe('tollgate keys revoke and key expiry (#14 item 5)', () => {
  it('revokes a key by its hint; the running store refuses it after its reload interval, other keys keep working', async () => {
    const file = join(dir, 'revoke.json');
    const a = (await cli('keys', 'add', 'acme', '--keys', file)).out.trim();
    const b = (await cli('keys', 'add', 'acme', '--keys', file)).out.trim();
    let t = 1_000_000;
    const store = new KeyStore(file, { clock: () => t, reloadIntervalMs: 1000 });
    expect(store.tenantFor(a)).toBe('acme');
    const r = await cli('keys', 'revoke', `tg-${a.slice(3, 9)}…`, '--keys', file);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('revoked');
    const entry = JSON.parse(readFileSync(file, 'utf8')).keys.find((k: { hash: string }) => k.hash === hashKey(a));
    expect(entry.revokedAt).toBeTruthy();
    t += 1001;
    expect(store.tenantFor(a)).toBeUndefined();
    expect(store.tenantFor(b)).toBe('acme');
    expect(new KeyStore(file).tenantFor(a)).toBeUndefined();
    expect((await cli('keys', 'list', '--keys', file)).out).toMatch(/revoked/);
    const again = await cli('keys', 'revoke', a, '--keys', file);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/key_not_found/);
  });

  it('an expired key is refused; --expires takes a duration', async () => {
    const file = join(dir, 'expiry.json');
    const now = new Date('2026-06-01T00:00:00Z');
    const k = addKey(file, 'acme', now, { expiresAt: new Date('2026-06-02T00:00:00Z') });
    let t = now.getTime();
    const store = new KeyStore(file, { clock: () => t });
    expect(store.tenantFor(k)).toBe('acme');
    t = Date.parse('2026-06-02T00:00:00Z');
    expect(store.tenantFor(k)).toBeUndefined();
    const viaCli = await cli('keys', 'add', 'acme', '--keys', file, '--expires', '30d');
    expect(viaCli.code).toBe(0);
    const last = JSON.parse(readFileSync(file, 'utf8')).keys.at(-1);
    expect(Date.parse(last.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await cli('keys', 'add', 'acme', '--keys', file, '--expires', 'soon')).code).toBe(1);
  });

  it('the gateway refuses a revoked key with a 401 without a restart', async () => {
    const h = await startHarness({ primary: 'ok' });
    try {
      const ok = await fetch(`${h.gw.url}/v1/models`, { headers: { 'x-api-key': h.key } });
      expect(ok.status).toBe(200);
      expect((await cli('keys', 'revoke', h.key, '--keys', h.keysPath)).code).toBe(0);
      await expect
        .poll(async () => (await fetch(`${h.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key}` }, body: JSON.stringify(ask('x')) })).status, { timeout: 5000, interval: 200 })
        .toBe(401);
    } finally {
      await h.close();
    }
  });
});
