import type { Command } from 'commander';
import { addKey, readKeyFile, revokeKeys } from '../../gateway/index.js';
import { TollgateError } from '../../index.js';
import type { CliIo } from '../io.js';
import { DEFAULT_KEYS_FILE } from './serve.js';

/** `--expires 30d | 12h | 2027-01-01T00:00:00Z` as a Date. */
export function parseExpiry(text: string, now: Date = new Date()): Date {
  const m = /^(\d+)([dhm])$/.exec(text.trim());
  if (m) return new Date(now.getTime() + Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm']);
  const t = Date.parse(text);
  if (!Number.isFinite(t) || !/\d{4}-\d{2}-\d{2}/.test(text)) throw new TollgateError('invalid_request', `--expires "${text}": give a duration (30d, 12h, 90m) or an ISO time`, {});
  return new Date(t);
}

/** `tollgate keys add|list|revoke`: gateway API keys, stored only as SHA-256 hashes. */
export function registerKeys(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('Manage gateway API keys (stored only as SHA-256 hashes).');
  keys
    .command('add')
    .description('Create a key for a tenant and print it once (it cannot be shown again).')
    .argument('<tenant>', 'tenant the key bills to')
    .option('--keys <file>', 'key file', DEFAULT_KEYS_FILE)
    .option('--expires <when>', 'the key stops working after a duration (30d, 12h, 90m) or at an ISO time')
    .option('--admin', 'the key may also call admin routes')
    .addHelpText('after', '\nExample:\n  $ tollgate keys add acme --keys keys.json --expires 90d\n  tg-…   (store it now)')
    .action((tenant: string, opts: { keys: string; expires?: string; admin?: boolean }) => {
      const expiresAt = opts.expires ? parseExpiry(opts.expires) : undefined;
      const key = addKey(opts.keys, tenant, new Date(), { expiresAt, admin: opts.admin });
      io.out(`${key}\n`);
      io.err(`key for tenant "${tenant}" added to ${opts.keys}${expiresAt ? `, expires ${expiresAt.toISOString()}` : ''}; it is shown only this once\n`);
    });
  keys
    .command('list')
    .description('List tenants and key hints (never the keys), with expiry and revocation.')
    .option('--keys <file>', 'key file', DEFAULT_KEYS_FILE)
    .addHelpText('after', '\nExample:\n  $ tollgate keys list --keys keys.json')
    .action((opts: { keys: string }) => {
      const now = Date.now();
      for (const k of readKeyFile(opts.keys).keys) {
        const state = k.revokedAt ? `revoked ${k.revokedAt}` : k.expiresAt && Date.parse(k.expiresAt) <= now ? `expired ${k.expiresAt}` : k.expiresAt ? `expires ${k.expiresAt}` : 'active';
        io.out(`${k.tenant}\ttg-${k.hint ?? '?'}…\t${k.hash.slice(0, 12)}\t${k.createdAt ?? ''}\t${state}${k.admin ? '\tadmin' : ''}\n`);
      }
    });
  keys
    .command('revoke')
    .description('Revoke a key by its hint (tg-abc123…), a hash prefix (8+ hex digits, from keys list) or the key itself.')
    .argument('<key-or-hint>', 'hint, hash prefix or key')
    .option('--keys <file>', 'key file', DEFAULT_KEYS_FILE)
    .option('--all', 'revoke every live key the hint matches')
    .addHelpText('after', '\nExample:\n  $ tollgate keys revoke tg-Ab3dE9 --keys keys.json\n  A running gateway refuses the key within a second (it re-reads the file when it changes).')
    .action((which: string, opts: { keys: string; all?: boolean }) => {
      const revoked = revokeKeys(opts.keys, which, { all: opts.all });
      for (const k of revoked) io.out(`revoked\t${k.tenant}\ttg-${k.hint ?? '?'}…\t${k.hash.slice(0, 12)}\n`);
    });
}
