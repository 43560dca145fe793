import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPolicySync } from '../../policies/loader.js';
import { codePolicyCacheDir } from '../../policies/module-cache.js';
import { simPolicy } from '../support/policies.js';

const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tg-module-cache-'));
  dirs.push(d);
  return d;
};
const saved = process.env.TOLLGATE_CACHE_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.TOLLGATE_CACHE_DIR;
  else process.env.TOLLGATE_CACHE_DIR = saved;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const tsPolicy = (name: string) => `export default ${JSON.stringify({ ...simPolicy(), name })};\n`;

describe('codePolicyCacheDir', () => {
  it('is a private directory of this user’s, created with mode 0700', () => {
    const dir = join(scratch(), 'nested', 'jiti');
    expect(codePolicyCacheDir({ TOLLGATE_CACHE_DIR: dir })).toBe(dir);
    expect(codePolicyCacheDir({ XDG_CACHE_HOME: join(scratch(), 'xdg') })).toMatch(/xdg\/tollgate\/jiti$/);
  });

  it('is no cache when turned off, or when others could write to the directory', () => {
    expect(codePolicyCacheDir({ TOLLGATE_CACHE_DIR: 'off' })).toBe(false);
    const open = join(scratch(), 'shared');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(codePolicyCacheDir({ TOLLGATE_CACHE_DIR: open })).toBe(false);
    const file = join(scratch(), 'a-file');
    writeFileSync(file, 'x');
    expect(codePolicyCacheDir({ TOLLGATE_CACHE_DIR: file })).toBe(false);
  });

  it('keeps a transpiled .ts policy, and an edited policy loads its new content', () => {
    const cache = join(scratch(), 'cache');
    process.env.TOLLGATE_CACHE_DIR = cache;
    const file = join(scratch(), 'p.ts');
    writeFileSync(file, tsPolicy('first'));
    expect(loadPolicySync(file).policy.name).toBe('first');
    expect(readdirSync(cache).length).toBe(1);
    expect(loadPolicySync(file).policy.name).toBe('first'); // from the cache
    writeFileSync(file, tsPolicy('second'));
    expect(loadPolicySync(file).policy.name).toBe('second');
  });

  it('writes nothing with the cache off', () => {
    const cache = join(scratch(), 'unused');
    process.env.TOLLGATE_CACHE_DIR = 'off';
    const file = join(scratch(), 'p.ts');
    writeFileSync(file, tsPolicy('plain'));
    expect(loadPolicySync(file).policy.name).toBe('plain');
    expect(() => readdirSync(cache)).toThrow();
  });
});
