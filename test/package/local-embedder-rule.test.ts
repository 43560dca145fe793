import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run lint:deps`'s script with the repository's rules over a small tree (as in dependency-rules.test.ts). */
function lintTree(files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-deps-local-'));
  const tree = { 'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }), ...files };
  for (const [file, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const paths = [...new Set(Object.keys(files).map((f) => f.split('/')[0]!))];
  const r = spawnSync(process.execPath, [join(root, '.ci/lint-deps.mjs'), '--config', join(root, '.dependency-cruiser.cjs'), ...paths], { cwd: dir, encoding: 'utf8', timeout: 170_000 });
  return { status: r.status, output: r.stdout + r.stderr };
}

const embeddings = {
  'embeddings/local-embeddings-adapter.ts': 'export class LocalEmbeddingsAdapter {}\n',
  'embeddings/index.ts': "export { LocalEmbeddingsAdapter } from './local-embeddings-adapter.js';\n",
};

/** The one embeddings module compose.ts may reach (the local-onnx adapter), and only lazily (docs/architecture.md). */
describe('root-entry-loads-local-embedder-lazily', () => {
  it('compose.ts may import() the local-onnx adapter; a static import of it, or of any other embeddings module, fails', { timeout: 520_000 }, () => {
    const lazy = lintTree({ ...embeddings, 'compose.ts': "export const load = () => import('./embeddings/local-embeddings-adapter.js');\n" });
    expect(lazy.output).toContain('dependency rules hold');
    expect(lazy.status).toBe(0);

    const eager = lintTree({ ...embeddings, 'compose.ts': "import { LocalEmbeddingsAdapter } from './embeddings/local-embeddings-adapter.js';\nexport const a = new LocalEmbeddingsAdapter();\n" });
    expect(eager.status).toBe(1);
    expect(eager.output).toContain('error root-entry-loads-local-embedder-lazily: compose.ts → embeddings/local-embeddings-adapter.ts');

    const other = lintTree({ ...embeddings, 'compose.ts': "export const load = () => import('./embeddings/index.js');\n" });
    expect(other.status).toBe(1);
    expect(other.output).toContain('error root-entry-is-light: compose.ts → embeddings/index.ts');
  });
});
