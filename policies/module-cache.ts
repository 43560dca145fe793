import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where jiti keeps its transpiled copies of `.ts` policies (its `fsCache`), or `false` for none.
 *
 * Transpiling a `.ts` policy costs ~140 ms per load (jiti loads Babel); a cached copy loads in ~10 ms.
 * jiti checks each cached file against a hash of the policy's source, so an edited policy is transpiled
 * again, never served stale. The directory is this user's own — `TOLLGATE_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/tollgate/jiti`, else `~/.cache/tollgate/jiti` — created with mode 0700, never a shared
 * temporary directory: a policy is code, and a file another user could plant in the cache would run with
 * this process's rights. So the answer is `false` (transpile on every load, nothing written) when
 * `TOLLGATE_CACHE_DIR` is `off`, when the directory cannot be created, or when it is not owned by this
 * user or is writable by group or others.
 */
export function codePolicyCacheDir(env: NodeJS.ProcessEnv = process.env): string | false {
  const given = env.TOLLGATE_CACHE_DIR;
  if (given === 'off') return false;
  let dir: string;
  try {
    dir = given || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tollgate', 'jiti');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return false;
  } catch {
    return false;
  }
  return dir;
}
