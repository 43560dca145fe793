import { hash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { TollgateError } from '../index.js';

/**
 * Gateway API keys. A key is `tg-` + 32 random bytes in base64url; only its SHA-256 (hex) is stored,
 * in a JSON key file `{ "version": 1, "keys": [{ "hash", "tenant", "hint", "createdAt" }] }`.
 * `hint` is the key's first 6 characters after `tg-` so an operator can tell keys apart; it is not
 * enough to guess the key. The plaintext key is printed once by `tollgate keys add` and never stored.
 * Optional: `expiresAt` (ISO time; the key stops working then), `revokedAt` (set by `tollgate keys revoke`;
 * the entry stays for audit), `admin: true` (may call admin routes).
 *
 * Why unsalted SHA-256: a key is 256 random bits, so no dictionary or rainbow table covers it and a
 * salt would add nothing an attacker holding the file lacks; salts (or bcrypt/scrypt) protect
 * low-entropy secrets such as passwords. A per-key salt would also turn a lookup into one hash per stored
 * key (or need a key-id prefix), and a slow hash would put a deliberate CPU cost on every request.
 */
export const keyFileSchema = z.strictObject({
  version: z.literal(1),
  keys: z.array(
    z.strictObject({
      hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest'),
      tenant: z.string().min(1).max(200),
      hint: z.string().max(16).optional(),
      createdAt: z.string().optional(),
      expiresAt: z.iso.datetime({ offset: true }).optional(),
      revokedAt: z.string().optional(),
      admin: z.boolean().optional(),
    }),
  ),
});
export type KeyFile = z.infer<typeof keyFileSchema>;

export const KEY_PREFIX = 'tg-';

/** A new random API key (shown to the operator once). */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** The stored form of a key: lowercase hex SHA-256 of its UTF-8 bytes (one-shot `crypto.hash`: no Hash object per request). */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
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

export interface AddKeyOptions {
  /** When the key stops working. */
  expiresAt?: Date;
  /** The key may call admin routes. */
  admin?: boolean;
}

/**
 * Adds a key for `tenant` to the key file (created if missing; written atomically, mode 0600) and
 * returns the plaintext key — the only time it exists outside the caller's hands.
 */
export function addKey(path: string, tenant: string, now: Date = new Date(), options: AddKeyOptions = {}): string {
  if (!tenant || tenant.length > 200) throw new TollgateError('invalid_request', 'Tenant must be 1-200 characters', { tenant });
  if (options.expiresAt && !(options.expiresAt.getTime() > now.getTime())) throw new TollgateError('invalid_request', 'A key must expire in the future', {});
  const file = readKeyFile(path);
  const key = generateKey();
  file.keys.push({
    hash: hashKey(key),
    tenant,
    hint: key.slice(KEY_PREFIX.length, KEY_PREFIX.length + 6),
    createdAt: now.toISOString(),
    ...(options.expiresAt && { expiresAt: options.expiresAt.toISOString() }),
    ...(options.admin && { admin: true }),
  });
  writeKeyFile(path, file);
  return key;
}

/**
 * Revokes keys (marks them `revokedAt`; entries are kept for audit). `which` is a key hint (`tg-abc123`
 * or `abc123`, as `keys list` shows it), a hash prefix of at least 8 hex digits, or the key itself. A
 * hint that matches more than one live key is refused unless `all` is set. Returns the revoked entries.
 * A running gateway stops accepting them within its reload interval (1 s by default).
 */
export function revokeKeys(path: string, which: string, o: { all?: boolean; now?: Date } = {}): KeyFile['keys'] {
  const file = readKeyFile(path);
  const w = which.trim();
  const hint = w.startsWith(KEY_PREFIX) ? w.slice(KEY_PREFIX.length).replace(/…$/, '') : w.replace(/…$/, '');
  const fullHash = w.startsWith(KEY_PREFIX) && w.length > 20 ? hashKey(w) : undefined;
  const matches = file.keys.filter(
    (k) => !k.revokedAt && (k.hash === fullHash || (hint.length >= 6 && k.hint === hint.slice(0, 6)) || (/^[0-9a-f]{8,64}$/.test(w) && k.hash.startsWith(w))),
  );
  if (matches.length === 0) throw new TollgateError('key_not_found', `No live key matches "${w.slice(0, 12)}"`, {});
  if (matches.length > 1 && !o.all) throw new TollgateError('key_ambiguous', `${matches.length} keys match "${w.slice(0, 12)}"; pass a hash prefix or --all`, { count: matches.length });
  const at = (o.now ?? new Date()).toISOString();
  for (const k of matches) k.revokedAt = at;
  writeKeyFile(path, file);
  return matches;
}

function writeKeyFile(path: string, file: KeyFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * Resolves API keys to tenants from a key file. Lookups hash the presented key and look the digest up
 * (no plaintext comparison). The file's mtime is checked at most once per `reloadIntervalMs` (default
 * 1 s) and the file re-read when it changed, so keys added or revoked with `tollgate keys` take effect
 * without a restart. Revoked and expired keys resolve to `undefined` (a 401, like an unknown key).
 */
export class KeyStore {
  private byHash = new Map<string, { tenant: string; expiresAt: number; admin: boolean }>();
  private mtimeMs = -1;
  private checkedAt = 0;

  constructor(readonly path: string, private readonly options: { reloadIntervalMs?: number; clock?: () => number } = {}) {
    this.reload();
  }

  /** The tenant a key belongs to, or `undefined` for an unknown, revoked or expired key. */
  tenantFor(key: string): string | undefined {
    const e = this.entry(key);
    return e?.tenant;
  }

  /** Whether a live key is an admin key. */
  isAdmin(key: string): boolean {
    return this.entry(key)?.admin === true;
  }

  get size(): number {
    return this.byHash.size;
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private entry(key: string): { tenant: string; expiresAt: number; admin: boolean } | undefined {
    const now = this.now();
    if (now - this.checkedAt >= (this.options.reloadIntervalMs ?? 1000)) {
      this.checkedAt = now;
      if (this.fileMtime() !== this.mtimeMs) this.reload();
    }
    const e = this.byHash.get(hashKey(key));
    return e && e.expiresAt > now ? e : undefined;
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
    const live = file.keys.filter((k) => !k.revokedAt);
    this.byHash = new Map(live.map((k) => [k.hash, { tenant: k.tenant, expiresAt: k.expiresAt ? Date.parse(k.expiresAt) : Infinity, admin: k.admin === true }]));
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
