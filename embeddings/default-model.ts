/**
 * Locates the committed default model (`embeddings/models/tollgate-static-use-lite-256/`) from this
 * module's own location, so it resolves both from the TypeScript sources and from compiled `dist/`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_MODEL_NAME = 'tollgate-static-use-lite-256';

function isPackageRoot(dir: string): boolean {
  const file = path.join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'tollgate';
  } catch {
    return false;
  }
}

/** Absolute path of the default model directory (walks up from this file to the package root). */
export function defaultModelDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'embeddings', 'models', DEFAULT_MODEL_NAME);
    if (isPackageRoot(dir) && existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(path.dirname(fileURLToPath(import.meta.url)), 'models', DEFAULT_MODEL_NAME);
}
