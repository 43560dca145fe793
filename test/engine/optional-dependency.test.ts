import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { importOptional, OptionalDependencyMissingError } from '../../engine/optional-dependency.js';
import { TollgateError } from '../../policies/errors.js';

/**
 * The error plain Node gives when a module outside the repository (no node_modules above it) imports
 * `pkg`: the real "not installed" (vitest's own resolver would find the repository's copy).
 */
function notInstalledError(pkg: string): Error {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-optional-'));
  const file = join(dir, 'needs-package.mjs');
  writeFileSync(file, `export * from '${pkg}';\n`);
  const script = `import(${JSON.stringify(file)}).then(() => console.log('{}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' })) as { code: string; message: string };
  return Object.assign(new Error(out.message), { code: out.code });
}

describe('optional peer dependencies', () => {
  it('a package that is not installed is a typed error naming the package and the command', async () => {
    const real = notInstalledError('onnxruntime-node');
    expect((real as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
    const error = await importOptional('onnxruntime-node', 'ONNX inference', () => Promise.reject(real)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionalDependencyMissingError);
    expect(error).toBeInstanceOf(TollgateError);
    const e = error as OptionalDependencyMissingError;
    expect(e.code).toBe('optional_dependency_missing');
    expect(e.packageName).toBe('onnxruntime-node');
    expect(e.message).toContain('npm install onnxruntime-node');
    expect(e.details).toMatchObject({ package: 'onnxruntime-node', install: 'npm install onnxruntime-node' });
  });

  it('another missing module (a broken install) is not reported as the optional package', async () => {
    const real = notInstalledError('some-other-missing-package');
    const error = await importOptional('bullmq', 'jobs', () => Promise.reject(real)).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(OptionalDependencyMissingError);
    expect((error as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
  });

  it('an installed package loads', async () => {
    const mod = await importOptional('ioredis', 'Redis', () => import('ioredis'));
    expect(typeof mod.Redis).toBe('function');
  });
});
