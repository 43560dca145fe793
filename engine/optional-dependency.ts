/**
 * Heavy packages (onnxruntime-node with protobufjs, @lancedb/lancedb with apache-arrow, bullmq, ioredis, pg) are optional peer
 * dependencies: the root `tollgate` entry never loads them, and the parts that need one load it with
 * a dynamic `import()` on first use. When it is not installed, that first use throws
 * {@link OptionalDependencyMissingError}, which names the package and the command that installs it.
 */
import { TollgateError } from '../policies/errors.js';

/** The optional peer dependencies Tollgate loads on first use. */
export type OptionalPackage = 'onnxruntime-node' | '@lancedb/lancedb' | 'apache-arrow' | 'protobufjs' | 'bullmq' | 'ioredis' | 'pg';

/** An optional peer dependency that a feature needs is not installed (code `optional_dependency_missing`). */
export class OptionalDependencyMissingError extends TollgateError {
  constructor(
    readonly packageName: OptionalPackage,
    readonly feature: string,
    options?: { cause?: unknown },
  ) {
    super(
      'optional_dependency_missing',
      `${feature} needs the optional package ${packageName}, which is not installed: npm install ${packageName}`,
      { package: packageName, feature, install: `npm install ${packageName}` },
      options,
    );
  }
}

const missing = (error: unknown, pkg: string): boolean => {
  const e = error as { code?: string; message?: string } | undefined;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return false;
  // Only the package itself missing; a broken install (one of its own files missing) stays as it is.
  return (e.message ?? '').includes(`'${pkg}'`) || (e.message ?? '').includes(`"${pkg}"`);
};

/**
 * Runs `load` (a dynamic `import()` of `pkg`) and turns "package not installed" into an
 * {@link OptionalDependencyMissingError}. CommonJS packages come back with their exports as named
 * properties, so the namespace is returned as is.
 */
export async function importOptional<T>(pkg: OptionalPackage, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (missing(error, pkg)) throw new OptionalDependencyMissingError(pkg, feature, { cause: error });
    throw error;
  }
}

/** {@link importOptional} for synchronous code: `load` is a `require()` of `pkg` (a CommonJS package). */
export function requireOptional<T>(pkg: OptionalPackage, feature: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (missing(error, pkg)) throw new OptionalDependencyMissingError(pkg, feature, { cause: error });
    throw error;
  }
}
