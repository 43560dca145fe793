import type { Command } from 'commander';
import { addKey, readKeyFile } from '../../gateway/api-keys.js';
import type { CliIo } from '../io.js';
import { DEFAULT_KEYS_FILE } from './serve.js';

/** `tollgate keys add|list`: gateway API keys, stored only as SHA-256 hashes. */
export function registerKeys(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('Manage gateway API keys (stored only as SHA-256 hashes).');
  keys
    .command('add')
    .description('Create a key for a tenant and print it once (it cannot be shown again).')
    .argument('<tenant>', 'tenant the key bills to')
    .option('--keys <file>', 'key file', DEFAULT_KEYS_FILE)
    .addHelpText('after', '\nExample:\n  $ tollgate keys add acme --keys keys.json\n  tg-…   (store it now)')
    .action((tenant: string, opts: { keys: string }) => {
      const key = addKey(opts.keys, tenant);
      io.out(`${key}\n`);
      io.err(`key for tenant "${tenant}" added to ${opts.keys}; it is shown only this once\n`);
    });
  keys
    .command('list')
    .description('List tenants and key hints (never the keys).')
    .option('--keys <file>', 'key file', DEFAULT_KEYS_FILE)
    .addHelpText('after', '\nExample:\n  $ tollgate keys list --keys keys.json')
    .action((opts: { keys: string }) => {
      for (const k of readKeyFile(opts.keys).keys) io.out(`${k.tenant}\ttg-${k.hint ?? '?'}…\t${k.createdAt ?? ''}\n`);
    });
}
