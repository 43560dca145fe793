/**
 * A bounded cache keyed by strings that never hashes a whole key. A `Map<string, …>` lookup makes V8 hash
 * every character of a string it has not hashed before — and every message text of a parsed request body
 * is such a string, 1–25 KB each in an agent's history. Here a key is found by a fingerprint of its length
 * and at most {@link SAMPLED_CHARS} of its characters, and a hit is confirmed by `===` against the stored
 * key (a comparison of flat strings is a memory compare, many times cheaper than hashing). So a lookup is
 * exact: a value is only ever returned for an equal string. Keys with the same fingerprint share a bucket
 * of at most {@link BUCKET_ENTRIES} (the newest kept first).
 */
export class TextKeyedCache<V> {
  private readonly buckets = new Map<number, Entry<V>>();
  private entries = 0;
  private chars = 0;
  /** The last key fingerprinted and its fingerprint: a miss is usually followed by a `set` of the same string. */
  private lastKey = '';
  private lastPrint = fingerprint('');

  /**
   * @param maxEntries entries kept before the cache is cleared
   * @param maxChars characters of keys kept before the cache is cleared
   */
  constructor(
    private readonly maxEntries: number,
    private readonly maxChars: number,
  ) {}

  /** The value stored for a string equal to `key`, or undefined. */
  get(key: string): V | undefined {
    for (let e = this.buckets.get(this.print(key)); e !== undefined; e = e.next) if (e.key === key) return e.value;
    return undefined;
  }

  /** Stores `value` for `key` (replacing the value of an equal key); clears the cache first when it is full. */
  set(key: string, value: V): void {
    if (this.entries >= this.maxEntries || this.chars + key.length > this.maxChars) this.clear();
    const print = this.print(key);
    const head: Entry<V> = { key, value, next: this.buckets.get(print) };
    this.entries++;
    this.chars += key.length;
    let kept = 1;
    for (let prev = head, e = head.next; e !== undefined; e = e.next) {
      if (e.key === key || kept === BUCKET_ENTRIES) {
        prev.next = e.next; // the equal key's old entry, or one past the bucket's capacity
        this.entries--;
        this.chars -= e.key.length;
      } else {
        kept++;
        prev = e;
      }
    }
    this.buckets.set(print, head);
  }

  private print(key: string): number {
    if (key !== this.lastKey) {
      this.lastPrint = fingerprint(key);
      this.lastKey = key;
    }
    return this.lastPrint;
  }

  /** Empties the cache. */
  clear(): void {
    this.buckets.clear();
    this.entries = 0;
    this.chars = 0;
  }
}

interface Entry<V> {
  key: string;
  value: V;
  next: Entry<V> | undefined;
}

/** Keys sharing a fingerprint kept at once (texts of one length that differ only between the sampled characters). */
const BUCKET_ENTRIES = 4;
/** Characters a fingerprint reads: all of a key this long or shorter; of a longer one its first and last 8 and 16 spread between. */
const SAMPLED_CHARS = 32;

/** A 32-bit fingerprint of the length and up to {@link SAMPLED_CHARS} characters of `s` (never all of a long string). */
export function fingerprint(s: string): number {
  const n = s.length;
  let h = n ^ 0x9e3779b9;
  if (n <= SAMPLED_CHARS) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  } else {
    for (let i = 0; i < 8; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    for (let i = n - 8; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    const step = (n - 16) / 17;
    for (let k = 1; k <= 16; k++) h = Math.imul(h ^ s.charCodeAt(8 + Math.floor(k * step)), 0x01000193);
  }
  return (h ^ (h >>> 16)) | 0;
}
