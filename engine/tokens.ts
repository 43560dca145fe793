import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { packageRoot } from '../policies/bundled-files.js';
import { asciiPieceEnd } from './ascii-split.js';
import { type BpeRanks, bpePiece, loadBpeRanks, type TiktokenRankFile } from './bpe.js';
import { PieceCache } from './piece-cache.js';
import type { TextMessage as ChatMessage } from './request.js';
import { TextKeyedCache } from './text-keyed-cache.js';

export type Encoding = 'o200k_base' | 'cl100k_base' | 'estimate';

/**
 * OpenAI's chat format adds tokens around each message: 3 per message (`<|start|>{role}…<|end|>`),
 * 1 more when a `name` is set, and 3 to prime the assistant's reply. These are the numbers OpenAI's
 * usage reports include for gpt-4o / gpt-4 / gpt-3.5-turbo-0613 and later (openai-cookbook,
 * "How to count tokens with tiktoken").
 */
export const CHAT_TOKENS_PER_MESSAGE = 3;
export const CHAT_TOKENS_PER_NAME = 1;
export const CHAT_REPLY_PRIMING_TOKENS = 3;

/**
 * Families without a public tokenizer are estimated as o200k_base tokens × this factor, rounded up.
 * The factor is deliberately high so that budget reservations err on the safe side; the vendor's
 * reported usage replaces the estimate after the call. See docs/tokens.md.
 */
export const DEFAULT_ESTIMATE_FACTOR = 1.2;

/** Claude's prompt estimate factor (policy `encoding: estimate`); see docs/tokens.md, section "Claude". */
export const CLAUDE_TOKEN_FACTOR = DEFAULT_ESTIMATE_FACTOR;

/** The two tokenizers behind every encoding (`estimate` is counted with o200k_base). */
export type OpenAIEncoding = 'o200k_base' | 'cl100k_base';

/**
 * The ranks of an encoding (engine/bpe.ts: exact O(n log n) BPE) plus a bounded cache of token counts
 * per pre-tokenised piece. BPE never merges across the pieces the encoding's split pattern produces, so
 * the sum of the pieces' counts equals the count of the whole text; caching pieces (words, mostly)
 * makes repeated vocabulary nearly free. Only short pieces are cached (a 1 MiB run is not kept as a key).
 */
interface CountingEncoder {
  bpe: BpeRanks;
  /** cl100k_base's split pattern (else o200k_base's), for {@link asciiPieceEnd}. */
  cl100k: boolean;
  split: RegExp;
  specials: RegExp;
  /** Piece counts of texts with a non-ASCII character (split by the regex). */
  pieces: Map<string, number>;
  /** Piece counts of ASCII texts, found from their bytes (engine/piece-cache.ts). */
  asciiPieces: PieceCache;
  /**
   * Whole texts (messages) already counted: a chat resends its earlier turns with every request. Found by a
   * sampled fingerprint and `===` (engine/text-keyed-cache.ts): a parsed body's texts are fresh strings, and a
   * `Map` would hash each of them whole just to look it up.
   */
  texts: TextKeyedCache<number>;
  /** Counts of message roles (every message has one; a handful of names), at most ROLE_CACHE_LIMIT kept. */
  roles: Map<string, number>;
}

const ROLE_CACHE_LIMIT = 16;
const PIECE_CACHE_LIMIT = 100_000;
const PIECE_CACHE_MAX_CHARS = 64;
/**
 * Per-text count cache (exact: a text's count never changes): texts of at least TEXT_CACHE_MIN_CHARS (shorter
 * ones cost little more than the lookup) and at most TEXT_CACHE_MAX_CHARS, cleared when it holds more than
 * TEXT_CACHE_LIMIT_CHARS characters in all (≈ 8 MB) or TEXT_CACHE_LIMIT entries.
 */
const TEXT_CACHE_MIN_CHARS = 16;
const TEXT_CACHE_MAX_CHARS = 256 * 1024;
const TEXT_CACHE_LIMIT_CHARS = 4 * 1024 * 1024;
const TEXT_CACHE_LIMIT = 20_000;
const encoders = new Map<OpenAIEncoding, CountingEncoder>();

/**
 * OpenAI's rank files (MIT, via js-tiktoken), vendored gzipped in engine/ranks/ (1.6 MB instead of
 * js-tiktoken's 22 MB of encodings in every install) and read on first use of an encoding;
 * test/engine/vendored-ranks.test.ts checks they equal the js-tiktoken dev dependency's.
 */
const rankFile = (name: OpenAIEncoding): TiktokenRankFile =>
  JSON.parse(gunzipSync(readFileSync(join(packageRoot(), 'engine', 'ranks', `${name}.json.gz`))).toString('utf8')) as TiktokenRankFile;

function counting(name: OpenAIEncoding): CountingEncoder {
  let c = encoders.get(name);
  if (!c) {
    const file = rankFile(name);
    const bpe = loadBpeRanks(name, file);
    const specials = new RegExp(Object.keys(bpe.special).map((t) => t.replace(/[\\^$*+?.()|[\]{}]/g, '\\$&')).join('|'), 'g');
    c = { bpe, cl100k: name === 'cl100k_base', split: new RegExp(bpe.patStr, 'gu'), specials, pieces: new Map(), asciiPieces: new PieceCache(), texts: new TextKeyedCache(TEXT_CACHE_LIMIT, TEXT_CACHE_LIMIT_CHARS), roles: new Map() };
    encoders.set(name, c);
  }
  return c;
}

/** UTF-8 bytes of a piece as a latin1 string (ASCII pieces are their own bytes). */
function pieceBytes(piece: string): string {
  for (let i = 0; i < piece.length; i++) if (piece.charCodeAt(i) > 0x7f) return Buffer.from(piece, 'utf8').toString('latin1');
  return piece;
}

/** Bytes of the ASCII text being counted ({@link encodeOrdinary}; a longer text gets its own buffer). */
let scratchBytes: Buffer | undefined;
const SCRATCH_BYTES = 64 * 1024;
/** Texts up to this long are checked and copied in a loop here (a native call costs more than the loop). */
const COPY_LOOP_CHARS = 256;

/** `text`'s bytes when it is ASCII (in a buffer reused by the next call), else undefined. */
function asciiBytes(text: string): Buffer | undefined {
  const n = text.length;
  const bytes = n <= SCRATCH_BYTES ? (scratchBytes ??= Buffer.allocUnsafe(SCRATCH_BYTES)) : Buffer.allocUnsafe(n);
  if (n <= COPY_LOOP_CHARS) {
    for (let i = 0; i < n; i++) {
      const ch = text.charCodeAt(i);
      if (ch > 0x7f) return undefined;
      bytes[i] = ch;
    }
    return bytes;
  }
  if (Buffer.byteLength(text, 'utf8') !== n) return undefined; // each non-ASCII UTF-16 unit takes 2 or more UTF-8 bytes
  bytes.write(text, 0, n, 'latin1');
  return bytes;
}

/**
 * Counts (and with `out`, encodes) ordinary text: split by the pattern, BPE per piece. An ASCII text (one
 * UTF-8 byte per character) is split without the regex, on its bytes (engine/ascii-split.ts), and its pieces'
 * counts are found in place (engine/piece-cache.ts); any other text goes through the pattern.
 */
function encodeOrdinary(c: CountingEncoder, text: string, out?: number[]): number {
  const n = text.length;
  const bytes = asciiBytes(text);
  if (!bytes) return encodeByPattern(c, text, out);
  let total = 0;
  for (let start = 0, end = 0; start < n; start = end) {
    end = asciiPieceEnd(bytes, start, n, c.cl100k);
    if (out || end - start > PIECE_CACHE_MAX_CHARS) {
      total += bpePiece(text.slice(start, end), c.bpe, out); // an ASCII piece is its own bytes
      continue;
    }
    const slot = c.asciiPieces.slot(bytes, start, end);
    let k = c.asciiPieces.get(slot, bytes, start, end);
    if (k < 0) {
      const piece = text.slice(start, end);
      k = bpePiece(piece, c.bpe);
      c.asciiPieces.set(slot, piece, k);
    }
    total += k;
  }
  return total;
}

/** {@link encodeOrdinary} for a text with a non-ASCII character: split by the encoding's regex. */
function encodeByPattern(c: CountingEncoder, text: string, out?: number[]): number {
  let total = 0;
  // The encoder's own regex, not a `new RegExp` per call (~4 µs: every role and short text paid it). Nothing
  // in this loop counts again, so no other count can move its `lastIndex` meanwhile.
  const split = c.split;
  split.lastIndex = 0;
  for (let m = split.exec(text); m !== null; m = split.exec(text)) {
    const piece = m[0];
    if (out) {
      total += bpePiece(pieceBytes(piece), c.bpe, out);
      continue;
    }
    const cacheable = piece.length <= PIECE_CACHE_MAX_CHARS;
    let n = cacheable ? c.pieces.get(piece) : undefined;
    if (n === undefined) {
      n = bpePiece(pieceBytes(piece), c.bpe);
      if (cacheable) {
        if (c.pieces.size >= PIECE_CACHE_LIMIT) c.pieces.clear();
        c.pieces.set(piece, n);
      }
    }
    total += n;
  }
  return total;
}

/** {@link encodeOrdinary}'s count, remembered per text (see TEXT_CACHE_MIN_CHARS). */
function countOrdinaryCached(c: CountingEncoder, text: string): number {
  if (text.length < TEXT_CACHE_MIN_CHARS || text.length > TEXT_CACHE_MAX_CHARS) return encodeOrdinary(c, text);
  let n = c.texts.get(text);
  if (n !== undefined) return n;
  n = encodeOrdinary(c, text);
  c.texts.set(text, n);
  return n;
}

/**
 * Whether `text`'s count for `encoding` is in the per-text cache (a lookup, no counting): the token pool
 * (engine/token-pool.ts) counts such texts as free when it decides where a prompt is counted. An encoder
 * not loaded yet knows no text.
 */
export function hasCachedCount(text: string, encoding: Encoding): boolean {
  return cachedCount(text, encoding) !== undefined;
}

/** `text`'s count for `encoding` from the per-text cache, or undefined (see {@link hasCachedCount}). */
export function cachedCount(text: string, encoding: Encoding): number | undefined {
  if (text.length < TEXT_CACHE_MIN_CHARS || text.length > TEXT_CACHE_MAX_CHARS) return undefined;
  return encoders.get(encoding === 'cl100k_base' ? 'cl100k_base' : 'o200k_base')?.texts.get(text);
}

/** Ordinary text between special tokens, each special token one id (tiktoken's `allowed_special="all"`). */
function encodeWithSpecials(c: CountingEncoder, text: string, out?: number[]): number {
  let total = 0;
  let start = 0;
  const re = new RegExp(c.specials);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += encodeOrdinary(c, text.slice(start, m.index), out) + 1;
    out?.push(c.bpe.special[m[0]]!);
    start = m.index + m[0].length;
  }
  return total + encodeOrdinary(c, text.slice(start), out);
}

export interface CountOptions {
  /**
   * Encode special-token strings such as `<|endoftext|>` as the special token (as tiktoken's
   * `allowed_special="all"` does). Off by default: in chat content they are ordinary text.
   */
  allowSpecial?: boolean;
  estimateFactor?: number;
}

/** Exact token count of `text` for an OpenAI encoding, or the documented estimate. */
export function countTokens(text: string, encoding: Encoding = 'o200k_base', options?: CountOptions): number {
  if (text.length === 0) return 0;
  const base = encoding === 'estimate' ? 'o200k_base' : encoding;
  const c = counting(base);
  const n = options?.allowSpecial ? encodeWithSpecials(c, text) : countOrdinaryCached(c, text);
  return encoding === 'estimate' ? Math.ceil(n * (options?.estimateFactor ?? DEFAULT_ESTIMATE_FACTOR)) : n;
}

/** Token ids (for tests and tools): the same ids as tiktoken's `encode` (js-tiktoken is the reference in tests). */
export function encodeTokens(text: string, encoding: OpenAIEncoding, options: CountOptions = {}): number[] {
  const c = counting(encoding);
  const out: number[] = [];
  if (options.allowSpecial) encodeWithSpecials(c, text, out);
  else encodeOrdinary(c, text, out);
  return out;
}

/** Prompt tokens of a chat request as OpenAI's usage counts them, including per-message overhead. */
export function countChatTokens(
  messages: readonly ChatMessage[],
  encoding: Encoding = 'o200k_base',
  estimateFactor = DEFAULT_ESTIMATE_FACTOR,
): number {
  const total = chatTokens(messages, encoding === 'estimate' ? 'o200k_base' : encoding);
  return encoding === 'estimate' ? Math.ceil(total * estimateFactor) : total;
}

/** Texts' counts made elsewhere (the token worker), per tokenizer: used instead of counting those texts again. */
export type KnownCounts = ReadonlyMap<OpenAIEncoding, ReadonlyMap<string, number>>;

/**
 * Counts of the messages' contents already looked up in the per-text cache, per tokenizer, by message index
 * (undefined: not there): engine/token-pool.ts looks them up to decide where to count, and they are then not
 * looked up again.
 */
export type ContentCounts = ReadonlyMap<OpenAIEncoding, readonly (number | undefined)[]>;

function chatTokens(messages: readonly ChatMessage[], base: OpenAIEncoding, known?: ReadonlyMap<string, number>, contents?: readonly (number | undefined)[]): number {
  const c = counting(base);
  let total = CHAT_REPLY_PRIMING_TOKENS;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    total += CHAT_TOKENS_PER_MESSAGE + roleTokens(c, m.role) + (contents?.[i] ?? knownOrCounted(m.content, base, known));
    if (m.name) total += CHAT_TOKENS_PER_NAME + knownOrCounted(m.name, base, known);
  }
  return total;
}

function knownOrCounted(text: string, base: OpenAIEncoding, known: ReadonlyMap<string, number> | undefined): number {
  return text.length === 0 ? 0 : (known?.get(text) ?? countTokens(text, base));
}

function roleTokens(c: CountingEncoder, role: string): number {
  let n = c.roles.get(role);
  if (n === undefined) {
    n = role.length === 0 ? 0 : countOrdinaryCached(c, role);
    if (c.roles.size < ROLE_CACHE_LIMIT) c.roles.set(role, n);
  }
  return n;
}

/**
 * Counts the prompt once per distinct encoding among `encodings` (the candidates' tokenizers). `known`: counts
 * of some of its texts already made (engine/token-pool.ts passes the worker's), which are not counted again.
 */
export function countPromptByEncoding(messages: readonly ChatMessage[], encodings: Iterable<Encoding>, known?: KnownCounts, contents?: ContentCounts): Map<Encoding, number> {
  const out = new Map<Encoding, number>();
  let o200: number | undefined;
  for (const e of encodings) {
    if (out.has(e)) continue;
    if (e === 'cl100k_base') out.set(e, chatTokens(messages, 'cl100k_base', known?.get('cl100k_base'), contents?.get('cl100k_base')));
    else {
      o200 ??= chatTokens(messages, 'o200k_base', known?.get('o200k_base'), contents?.get('o200k_base'));
      out.set(e, e === 'estimate' ? Math.ceil(o200 * DEFAULT_ESTIMATE_FACTOR) : o200);
    }
  }
  return out;
}

/**
 * Counts of texts made on the token worker (by this same algorithm, so exact), put into this thread's per-text
 * cache: a chat or agent resends them with its next request, which then finds them here (texts outside the
 * cache's size range are not kept).
 */
export function rememberCounts(encoding: OpenAIEncoding, texts: readonly string[], counts: readonly number[]): void {
  const c = counting(encoding);
  texts.forEach((text, i) => {
    if (text.length >= TEXT_CACHE_MIN_CHARS && text.length <= TEXT_CACHE_MAX_CHARS && c.texts.get(text) === undefined) c.texts.set(text, counts[i]!);
  });
}
