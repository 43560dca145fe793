import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { createJiti } from 'jiti';
import { parse as parseYaml } from 'yaml';
import { PolicyError } from './errors.js';
import { codePolicyCacheDir } from './module-cache.js';
import type { Policy } from './schema.js';
import { validatePolicy } from './validate.js';
import { policyVersion } from './version.js';

/**
 * Largest policy file accepted, in bytes (checked before the file is read or parsed): 4 MiB. A policy
 * is a few KiB; a 50 MB one used to abort the process out of memory while YAML parsed it.
 */
export const MAX_POLICY_BYTES = 4 * 1024 * 1024;

/** File extensions loaded as modules: their code runs when loaded (validate included). */
export const CODE_POLICY_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cts', '.cjs'];

/** Whether a policy file is code (`.ts`, `.js`, …) that loading executes, as opposed to data (YAML, JSON). */
export const isCodePolicy = (path: string): boolean => CODE_POLICY_EXTENSIONS.includes(extname(path).toLowerCase());

/** A validated policy together with where it came from and its content version. */
export interface LoadedPolicy {
  policy: Policy;
  version: string;
  file?: string;
}

/**
 * Loads a policy from `.yaml`/`.yml`, `.json`, or `.ts`/`.mts`/`.js`/`.mjs` (default export, loaded
 * at run time with jiti) and validates it. A `.ts`/`.js` policy is code: loading it runs it, with the
 * process's rights (use YAML or JSON for policies written by people you would not let run code; see
 * docs/security.md). Files over {@link MAX_POLICY_BYTES} are refused before they are read. Throws {@link PolicyError} naming the file and every
 * failing field path; a file that cannot be read or parsed is reported the same way.
 */
export async function loadPolicy(path: string): Promise<LoadedPolicy> {
  return loadPolicySync(path);
}

/** Synchronous {@link loadPolicy} (used by `createTollgate` when given a path). */
export function loadPolicySync(path: string): LoadedPolicy {
  const file = resolve(path);
  const policy = validatePolicy(readRaw(file), file);
  return { policy, version: policyVersion(policy), file };
}

/** Validates an in-memory policy object the same way `loadPolicy` validates a file. */
export function resolvePolicy(raw: unknown, file?: string): LoadedPolicy {
  const policy = validatePolicy(raw, file);
  return { policy, version: policyVersion(policy), file };
}

/** Reads and parses a policy file without validating it (`tollgate validate` lists every issue itself). */
export const readPolicyFile = (path: string): unknown => readRaw(resolve(path));

function readRaw(file: string): unknown {
  const ext = extname(file).toLowerCase();
  checkPolicySize(file);
  if (CODE_POLICY_EXTENSIONS.includes(ext)) {
    try {
      const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: codePolicyCacheDir() });
      const mod = jiti(file) as { default?: unknown };
      return mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
    } catch (err) {
      throw new PolicyError(file, [{ path: '', message: `cannot load module: ${(err as Error).message.split('\n')[0]}` }]);
    }
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PolicyError(file, [{ path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code})` }]);
  }
  try {
    if (ext === '.json') return JSON.parse(text);
    if (ext === '.yaml' || ext === '.yml') return parseYaml(text);
  } catch (err) {
    throw new PolicyError(file, [{ path: '', message: `cannot parse ${ext.slice(1)}: ${(err as Error).message.split('\n')[0]}` }]);
  }
  throw new PolicyError(file, [{ path: '', message: `unsupported policy file extension "${ext}" (use .yaml, .json or .ts)` }]);
}

function checkPolicySize(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // reported by the read below (file not found, unreadable)
  }
  if (size > MAX_POLICY_BYTES) {
    throw new PolicyError(file, [{ path: '', message: `policy file is ${size} bytes, over the limit of ${MAX_POLICY_BYTES} (MAX_POLICY_BYTES); a policy is a few KiB` }]);
  }
}
