/**
 * Images in a prompt: what a data URL holds (format, width, height read from the image header) and
 * what the vendors charge for it, in prompt tokens, before the call.
 *
 * - OpenAI (gpt-4o, gpt-4.1, gpt-5 families; "Images and vision", Calculating costs): `detail: low` is
 *   85 tokens. `high` (and `auto`, counted as `high` so a reservation never falls short): the image is
 *   scaled to fit 2048 × 2048, then so that its shortest side is at most 768; it costs 170 per 512-px
 *   tile plus 85. Documented figures: 1024 × 1024 high → 765; 2048 × 4096 high → 1105; 4096 × 8192 low → 85.
 * - Anthropic ("Vision", Evaluate image size): tokens = width × height / 750, after the image is scaled so
 *   its long edge is at most 1568 px and it is at most about 1,600 tokens (1.15 megapixels).
 *   Documented figures: 200 × 200 → ~54; 1000 × 1000 → ~1334; 1092 × 1092 → ~1590.
 * - A bare `https:` URL has no size Tollgate can read without fetching it (it never does): it is
 *   estimated as the most the vendor can charge for one image — OpenAI high 1445 (a 768 × 2048 image,
 *   8 tiles), low 85; Anthropic 1600. The vendor's usage replaces the estimate after the call.
 */

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
export type ImageDetail = 'auto' | 'low' | 'high';

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
  /** The base64 payload (for vendors that take the bytes, e.g. Anthropic's base64 source). */
  base64: string;
  mediaType: string;
}

export const OPENAI_LOW_DETAIL_TOKENS = 85;
export const OPENAI_TILE_TOKENS = 170;
export const OPENAI_BARE_URL_HIGH_TOKENS = 1445;
export const ANTHROPIC_MAX_IMAGE_TOKENS = 1600;

const DATA_URL = /^data:(image\/(?:png|jpeg|jpg|gif|webp));base64,/i;
/** Bytes decoded from a data URL to find the header (JPEG's frame header can follow large EXIF blocks). */
const HEADER_BYTES = 65_536;

/** Why `url` is not an image Tollgate can send, or undefined when it is (an http(s) URL or a readable data URL). */
export function imageHeaderIssue(url: string): string | undefined {
  if (/^https?:\/\//i.test(url)) return undefined;
  if (!url.startsWith('data:')) return 'must be an http(s) URL or a data:image/…;base64, URL';
  const r = readDataUrl(url);
  return typeof r === 'string' ? r : undefined;
}

/** The image a data URL holds, or a reason it is not one. */
export function readDataUrl(url: string): ImageInfo | string {
  const m = DATA_URL.exec(url);
  if (!m) return 'a data URL must be data:image/png|jpeg|gif|webp;base64,…';
  const base64 = url.slice(m[0].length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64.length > 8192 ? base64.slice(0, 8192) : base64)) return 'the data URL is not valid base64';
  let bytes = Buffer.from(base64.slice(0, Math.ceil((HEADER_BYTES * 4) / 3 / 4) * 4), 'base64');
  let size = headerSize(bytes);
  if (!size && bytes.length >= HEADER_BYTES - 3) {
    bytes = Buffer.from(base64, 'base64');
    size = headerSize(bytes);
  }
  if (!size) return 'the data URL does not hold a PNG, JPEG, GIF or WebP image';
  const mediaType = m[1]!.toLowerCase().replace('image/jpg', 'image/jpeg');
  if (`image/${size.format}` !== mediaType) return `the data URL says ${mediaType} but holds a ${size.format.toUpperCase()} image`;
  if (size.width < 1 || size.height < 1) return 'the image has no pixels';
  return { ...size, base64, mediaType };
}

/** Format and size from an image's first bytes, or undefined when they are not a known image header. */
export function headerSize(b: Buffer): { format: ImageFormat; width: number; height: number } | undefined {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR') {
    return { format: 'png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (b.length >= 10 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a')) {
    return { format: 'gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  }
  if (b.length >= 30 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    const kind = b.toString('latin1', 12, 16);
    if (kind === 'VP8 ') return { format: 'webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
    if (kind === 'VP8L') {
      const bits = b.readUInt32LE(21);
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
    if (kind === 'VP8X') return { format: 'webp', width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
    return undefined;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return undefined;
      const marker = b[i + 1]!;
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0xff) {
        i += marker === 0xff ? 1 : 2;
        continue;
      }
      const len = b.readUInt16BE(i + 2);
      // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: 'jpeg', width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) };
      }
      i += 2 + len;
    }
  }
  return undefined;
}

/** OpenAI's tile formula. */
export function openaiImageTokens(width: number, height: number, detail: ImageDetail = 'auto'): number {
  if (detail === 'low') return OPENAI_LOW_DETAIL_TOKENS;
  let w = width;
  let h = height;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const short = Math.min(1, 768 / Math.min(w, h));
  w *= short;
  h *= short;
  return OPENAI_TILE_TOKENS * Math.ceil(Math.round(w) / 512) * Math.ceil(Math.round(h) / 512) + OPENAI_LOW_DETAIL_TOKENS;
}

/** Anthropic's width × height / 750 after its downscaling. */
export function anthropicImageTokens(width: number, height: number): number {
  let w = width;
  let h = height;
  const edge = Math.min(1, 1568 / Math.max(w, h));
  w *= edge;
  h *= edge;
  const area = Math.min(1, Math.sqrt((ANTHROPIC_MAX_IMAGE_TOKENS * 750) / (w * h)));
  w = Math.round(w * area);
  h = Math.round(h * area);
  return Math.min(ANTHROPIC_MAX_IMAGE_TOKENS, Math.ceil((w * h) / 750));
}

/** Prompt tokens of one image part for a vendor family ('openai' for OpenAI's encodings, 'anthropic' for the estimate family). */
export function imagePartTokens(url: string, detail: ImageDetail | undefined, family: 'openai' | 'anthropic'): number {
  const info = url.startsWith('data:') ? readDataUrl(url) : undefined;
  if (!info || typeof info === 'string') {
    if (family === 'anthropic') return ANTHROPIC_MAX_IMAGE_TOKENS;
    return detail === 'low' ? OPENAI_LOW_DETAIL_TOKENS : OPENAI_BARE_URL_HIGH_TOKENS;
  }
  return family === 'anthropic' ? anthropicImageTokens(info.width, info.height) : openaiImageTokens(info.width, info.height, detail);
}
