import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { TollgateError } from '../engine/errors.js';

/**
 * Gateway API keys. A key is `tg-` + 32 random bytes in base64url; only its SHA-256 (hex) is stored,
 * in a JSON key file `{ "version": 1, "keys": [{ "hash", "tenant", "hint", "createdAt" }] }`.
 * `hint` is the key's first 6 characters after `tg-` so an operator can tell keys apart; it is not
 * enough to guess the key. The plaintext key is printed once by `tollgate keys add` and never stored.
 */
export const keyFileSchema = z.strictObject({
  version: z.literal(1),
  keys: z.array(
    z.strictObject({
      hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest'),
      tenant: z.string().min(1).max(200),
      hint: z.string().max(16).optional(),
      createdAt: z.string().optional(),
    }),
  ),
});
export type KeyFile = z.infer<typeof keyFileSchema>;

export const KEY_PREFIX = 'tg-';

/** A new random API key (shown to the operator once). */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** The stored form of a key: lowercase hex SHA-256 of its UTF-8 bytes. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Reads and validates a key file; a missing file is an empty key set. Throws `key_file_invalid`. */
export function readKeyFile(path: string): KeyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: [] };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TollgateError('key_file_invalid', `Key file ${path} is not JSON: ${(e as Error).message}`, { path });
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new TollgateError('key_file_invalid', `Key file ${path} is invalid: ${issues}`, { path });
  }
  return parsed.data;
}

/**
 * Adds a key for `tenant` to the key file (created if missing; written atomically, mode 0600) and
 * returns the plaintext key — the only time it exists outside the caller's hands.
 */
export function addKey(path: string, tenant: string, now: Date = new Date()): string {
  if (!tenant || tenant.length > 200) throw new TollgateError('invalid_request', 'Tenant must be 1-200 characters', { tenant });
  const file = readKeyFile(path);
  const key = generateKey();
  file.keys.push({ hash: hashKey(key), tenant, hint: key.slice(KEY_PREFIX.length, KEY_PREFIX.length + 6), createdAt: now.toISOString() });
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return key;
}

/**
 * Resolves API keys to tenants from a key file. Lookups hash the presented key and look the digest up
 * (no plaintext comparison). An unknown key triggers a reload when the file changed (checked at most
 * once per `reloadIntervalMs`), so keys added with `tollgate keys add` work without a restart.
 */
export class KeyStore {
  private byHash = new Map<string, string>();
  private mtimeMs = -1;
  private checkedAt = 0;

  constructor(readonly path: string, private readonly options: { reloadIntervalMs?: number; clock?: () => number } = {}) {
    this.reload();
  }

  /** The tenant a key belongs to, or `undefined` for an unknown key. */
  tenantFor(key: string): string | undefined {
    const h = hashKey(key);
    const hit = this.byHash.get(h);
    if (hit !== undefined) return hit;
    const now = (this.options.clock ?? Date.now)();
    if (now - this.checkedAt < (this.options.reloadIntervalMs ?? 1000)) return undefined;
    this.checkedAt = now;
    if (this.fileMtime() !== this.mtimeMs) this.reload();
    return this.byHash.get(h);
  }

  get size(): number {
    return this.byHash.size;
  }

  private fileMtime(): number {
    try {
      return statSync(this.path).mtimeMs;
    } catch {
      return -1;
    }
  }

  private reload(): void {
    this.mtimeMs = this.fileMtime();
    const file = readKeyFile(this.path);
    this.byHash = new Map(file.keys.map((k) => [k.hash, k.tenant]));
  }
}

/** Extracts the key from `Authorization: Bearer <key>` (what OpenAI clients send) or `x-api-key`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const x = headers['x-api-key'];
  return typeof x === 'string' && x.length > 0 ? x : undefined;
}
