import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const HEAVY = ['onnxruntime-node', 'onnxruntime-common', '@lancedb/lancedb', 'apache-arrow', 'protobufjs', 'bullmq', 'ioredis', 'pg'];

/** The packages plain Node loads when importing `entry` from the sources (no vitest resolver in between). */
function packagesLoadedBy(entry: string): string[] {
  const out = execFileSync(process.execPath, [`${root}test/support/trace-imports.mjs`, `${root}${entry}`], { cwd: root, encoding: 'utf8', timeout: 170_000 });
  const { resolved, required } = JSON.parse(out) as { resolved: string[]; required: string[] };
  const names = [...resolved, ...required].map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1]).filter((n): n is string => !!n);
  return [...new Set(names)].sort();
}

describe('importing an entry point loads no heavy package (they load on first use)', () => {
  // Each entry is transpiled module by module in a child process: tens of seconds on a loaded 2-core machine.
  it('tollgate (index.ts): no native library, no Redis/BullMQ/PostgreSQL client', { timeout: 180_000 }, () => {
    const loaded = packagesLoadedBy('index.ts');
    expect(loaded).toContain('zod'); // the trace works: it sees what is loaded
    expect(loaded.filter((p) => HEAVY.includes(p))).toEqual([]);
  });

  for (const entry of ['embeddings/index.ts', 'adapters/redis/index.ts', 'adapters/classifiers/index.ts', 'adapters/postgres/index.ts']) {
    it(`${entry}: heavy packages wait for first use`, { timeout: 180_000 }, () => {
      if (!existsSync(`${root}${entry}`)) return; // an entry another issue adds
      expect(packagesLoadedBy(entry).filter((p) => HEAVY.includes(p))).toEqual([]);
    });
  }
});
