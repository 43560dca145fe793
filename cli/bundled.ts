import { join, relative } from 'node:path';
import { packageRoot } from '../index.js';

/**
 * A file bundled with the package (example policies, the default trace), as a path from the current
 * directory: `policies/examples/cost-aware.ts` in the repository, `node_modules/tollgate/policies/…` in a
 * project that installed Tollgate. Help examples use it, so every file they name exists.
 */
export const bundled = (file: string): string => relative(process.cwd(), join(packageRoot(), file)) || '.';
