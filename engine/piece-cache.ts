/**
 * The tokenizer's cache of token counts per piece of ASCII text (engine/tokens.ts), read from the text's
 * bytes in place: direct-mapped, one piece per slot, the slot chosen by a hash of the piece's bytes. A piece
 * found here costs neither a substring nor a `Map` lookup (which hashes the new substring). A hit is
 * confirmed byte by byte against the stored piece, so a count is only returned for an equal piece; a piece
 * whose slot another took is counted again. Bounded by construction: {@link PIECE_SLOTS} pieces.
 */
export class PieceCache {
  private readonly pieces: (string | undefined)[] = new Array<string | undefined>(PIECE_SLOTS).fill(undefined);
  private readonly counts = new Int32Array(PIECE_SLOTS);

  /** The slot of the piece `bytes[start, end)`. */
  slot(bytes: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    return (h ^ (h >>> 15)) & (PIECE_SLOTS - 1);
  }

  /** The count kept in `slot` if it holds the piece `bytes[start, end)`, else -1. */
  get(slot: number, bytes: Uint8Array, start: number, end: number): number {
    const piece = this.pieces[slot];
    if (piece === undefined || piece.length !== end - start) return -1;
    for (let i = 0; i < piece.length; i++) if (piece.charCodeAt(i) !== bytes[start + i]) return -1;
    return this.counts[slot]!;
  }

  /** Keeps `count` for the ASCII `piece` in `slot` (its slot), replacing what the slot held. */
  set(slot: number, piece: string, count: number): void {
    this.pieces[slot] = piece;
    this.counts[slot] = count;
  }
}

/** Slots of a piece cache (a power of two). */
const PIECE_SLOTS = 1 << 16;
