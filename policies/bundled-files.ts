/** Files bundled with the package (example policies, the default trace) and the package root they are found from. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package root (the folder with Tollgate's package.json), found from this file in src or dist. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tollgate') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the tollgate package root');
    dir = up;
  }
}

/** The bundled example policies, in the order the README's comparison shows them. */
export const examplePolicies = (): string[] =>
  ['all-vendor.yaml', 'cost-aware.ts', 'quality-first.json'].map((f) => join(packageRoot(), 'policies', 'examples', f));

/** The bundled self-hosted fleet example (a throughput curve and an autoscaled fleet; the playground's Batching tab). */
export const fleetExamplePolicy = (): string => join(packageRoot(), 'policies', 'examples', 'self-hosted-fleet.yaml');

/** The bundled default trace (≥ 5,000 synthetic requests). */
export const defaultTrace = (): string => join(packageRoot(), 'examples', 'traces', 'default.jsonl');
