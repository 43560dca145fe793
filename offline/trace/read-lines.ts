import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { TraceNotFoundError, TraceRowError } from './errors.js';

/** Consecutive physical lines of a text file: `texts[i]` is line `first + i` (1-based). */
export interface LineBatch {
  first: number;
  texts: string[];
}

/**
 * Throws {@link TraceNotFoundError} unless `file` is an existing regular file. Readers call it
 * before streaming so a missing file is a typed error, not a stream `ENOENT`.
 */
export async function assertTraceFile(file: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(file)).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TraceNotFoundError(file, code === 'ENOENT' ? 'no such file' : String(code ?? error));
  }
  if (!isFile) throw new TraceNotFoundError(file, 'not a regular file');
}

const CHUNK_BYTES = 1 << 20;

/**
 * Longest line accepted, in characters (UTF-16 code units): 32 Mi. A longer one stops the read with a
 * {@link TraceRowError} naming its line number as soon as the limit is passed (a 1 GB line used to be
 * accumulated for two minutes and end in a RangeError). A prompt is at most 2 Mi characters
 * (`defaults.maxPromptChars`), so a row carrying one, JSON-escaped, fits.
 */
export const MAX_TRACE_LINE_CHARS = 32 * 1024 * 1024;

/**
 * Streams a UTF-8 text file as batches of lines (one batch per 1 MiB chunk, so the per-line cost
 * of async iteration is paid once a chunk), in constant memory. LF or CRLF; a leading BOM is
 * dropped; every physical line is included, blank ones too, so line numbers stay exact; a final
 * line without a newline is included. Throws `TraceNotFoundError` first when the file is missing, and
 * `TraceRowError` (with the line number) for a line over `maxLineChars` ({@link MAX_TRACE_LINE_CHARS}).
 * Each chunk is scanned once: a long line's earlier chunks are not searched again.
 */
export async function* readLineBatches(file: string, maxLineChars = MAX_TRACE_LINE_CHARS): AsyncGenerator<LineBatch> {
  await assertTraceFile(file);
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  let next = 1;
  let rest = '';
  try {
    let parts: string[] = []; // the current unfinished line, in pieces (no newline in any of them)
    let partsLength = 0;
    for await (const chunk of input as AsyncIterable<string>) {
      let piece = chunk;
      if (next === 1 && partsLength === 0 && rest === '' && piece.charCodeAt(0) === 0xfeff) piece = piece.slice(1);
      const firstNl = piece.indexOf('\n');
      if (firstNl === -1) {
        parts.push(piece);
        partsLength += piece.length;
        if (partsLength > maxLineChars) throw lineTooLong(file, next, maxLineChars);
        continue;
      }
      const text = partsLength ? parts.join('') + piece : piece;
      const offset = partsLength;
      parts = [];
      partsLength = 0;
      const texts: string[] = [];
      let from = 0;
      for (let nl = offset + firstNl; nl !== -1; nl = text.indexOf('\n', from)) {
        if (nl - from > maxLineChars) throw lineTooLong(file, next + texts.length, maxLineChars);
        texts.push(text.slice(from, nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
        from = nl + 1;
      }
      rest = text.slice(from);
      if (rest !== '') {
        parts.push(rest);
        partsLength = rest.length;
        if (partsLength > maxLineChars) throw lineTooLong(file, next + texts.length, maxLineChars);
      }
      if (texts.length > 0) {
        yield { first: next, texts };
        next += texts.length;
      }
    }
    rest = parts.join('');
    if (rest !== '') yield { first: next, texts: [rest.endsWith('\r') ? rest.slice(0, -1) : rest] };
  } finally {
    input.destroy();
  }
}

function lineTooLong(file: string, line: number, limit: number): TraceRowError {
  return new TraceRowError(file, line, `line longer than ${limit} characters (MAX_TRACE_LINE_CHARS); a trace row is one request`);
}
