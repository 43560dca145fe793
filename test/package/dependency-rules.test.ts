import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `npm run lint:deps`'s script with the repository's rules over a small tree of files. */
function lintTree(files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-deps-'));
  const tree = { 'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }), ...files };
  for (const [file, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const paths = [...new Set(Object.keys(files).map((f) => f.split('/')[0]!))];
  const r = spawnSync(process.execPath, [join(root, '.ci/lint-deps.mjs'), '--config', join(root, '.dependency-cruiser.cjs'), ...paths], { cwd: dir, encoding: 'utf8', timeout: 170_000 });
  return { status: r.status, output: r.stdout + r.stderr };
}

const policies = { 'policies/schema.ts': 'export const x = 1;\n' };

describe('npm run lint:deps (.dependency-cruiser.cjs, .ci/lint-deps.mjs)', () => {
  it('passes a tree that keeps the rules', () => {
    const r = lintTree({
      ...policies,
      'engine/router.ts': "import { x } from '../policies/schema.js';\nexport const y = x;\n",
      'adapters/model.ts': "import { y } from '../engine/router.js';\nexport const z = y;\n",
      'index.ts': "export { z } from './adapters/model.js';\n",
      'cli/main.ts': "import { z } from '../index.js';\nconsole.log(z);\n",
    });
    expect(r.output).toContain('dependency rules hold');
    expect(r.status).toBe(0);
  });

  it('fails on the engine importing a concrete adapter', () => {
    const r = lintTree({
      ...policies,
      'adapters/model.ts': 'export const z = 1;\n',
      'engine/router.ts': "import { z } from '../adapters/model.js';\nexport const y = z;\n",
    });
    expect(r.status).toBe(1);
    expect(r.output).toContain('error engine-request-path-only: engine/router.ts → adapters/model.ts');
  });

  it('fails on a face importing past the entry points, and on policies importing the engine', () => {
    const r = lintTree({
      'policies/schema.ts': "import { y } from '../engine/router.js';\nexport const x = y;\n",
      'engine/router.ts': 'export const y = 1;\n',
      'cli/main.ts': "import { y } from '../engine/router.js';\nconsole.log(y);\n",
    });
    expect(r.status).toBe(1);
    expect(r.output).toContain('error faces-use-entry-points: cli/main.ts → engine/router.ts');
    expect(r.output).toContain('error policies-self-contained: policies/schema.ts → engine/router.ts');
  });

  it('fails on a cycle between folders, even through entry points', () => {
    const r = lintTree({
      'offline/trace/index.ts': "export { b } from '../simulation/index.js';\nexport const a = 1;\n",
      'offline/simulation/index.ts': "import { a } from '../trace/index.js';\nexport const b = a;\n",
    });
    expect(r.status).toBe(1);
    expect(r.output).toContain('error no-folder-cycles');
    expect(r.output).toMatch(/offline\/(trace|simulation) ⇄ offline\/(trace|simulation)/);
  });
});
