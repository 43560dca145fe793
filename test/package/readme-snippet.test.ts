import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The README's library snippet: the first ```js block that imports from 'tollgate'. */
export function readmeSnippet(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /```js\n(import [^\n]*from 'tollgate';\n[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```js block importing from tollgate');
  return block[1]!;
}

describe("README's library snippet", () => {
  it('runs as written (tollgate = this checkout) and routes with the simulated adapter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-readme-'));
    const file = join(dir, 'quickstart.mts');
    writeFileSync(file, readmeSnippet().replace("from 'tollgate'", `from ${JSON.stringify(pathToFileURL(join(root, 'index.ts')).href)}`));
    const logged: unknown[][] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args));
    const cwd = process.cwd();
    process.chdir(dir); // the snippet's decision log is relative: .tollgate/decisions.jsonl
    try {
      await import(pathToFileURL(file).href);
    } finally {
      process.chdir(cwd);
      log.mockRestore();
    }
    expect(logged[0]).toEqual(['llama-3.1-8b-local']);
    expect(logged[1]![0]).toMatchObject({ full: expect.any(Number), vendor: 0 });
    expect(String(logged.find((l) => l[0] === 'streamed')?.[1])).toBe('llama-3.1-8b-local');
    expect(existsSync(join(dir, '.tollgate', 'decisions.jsonl'))).toBe(true);
    expect(readFileSync(join(dir, '.tollgate', 'decisions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
