import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from './capture-io.js';

const COMMANDS = ['simulate', 'validate', 'explain', 'serve', 'chargeback', 'eval', 'tune', 'train', 'report', 'reconcile', 'playground', 'keys', 'embed'];

describe('CLI help examples', () => {
  for (const command of COMMANDS) {
    it(`${command} --help: every bundled file an example names exists`, async () => {
      const r = await cli(command, '--help');
      const help = r.out + r.err;
      expect(help).toContain('Usage:');
      expect(help).not.toContain('../shared'); // the repository's data folder is not in an install
      const bundled = [...help.matchAll(/(\S*(?:policies\/examples|examples\/traces|examples\/routing)\/[\w.-]+)/g)].map((m) => m[1]!);
      for (const file of bundled) expect(existsSync(file), `${command} --help names ${file}`).toBe(true);
    });
  }
});
