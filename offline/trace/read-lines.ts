import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { TraceNotFoundError } from './errors.js';

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
 * Streams a UTF-8 text file as batches of lines (one batch per 1 MiB chunk, so the per-line cost
 * of async iteration is paid once a chunk), in constant memory. LF or CRLF; a leading BOM is
 * dropped; every physical line is included, blank ones too, so line numbers stay exact; a final
 * line without a newline is included. Throws `TraceNotFoundError` first when the file is missing.
 */
export async function* readLineBatches(file: string): AsyncGenerator<LineBatch> {
  await assertTraceFile(file);
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  let next = 1;
  let rest = '';
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      let text = rest + chunk;
      if (next === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const texts: string[] = [];
      let from = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        texts.push(text.slice(from, nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
        from = nl + 1;
      }
      rest = text.slice(from);
      if (texts.length > 0) {
        yield { first: next, texts };
        next += texts.length;
      }
    }
    if (rest !== '') yield { first: next, texts: [rest.endsWith('\r') ? rest.slice(0, -1) : rest] };
  } finally {
    input.destroy();
  }
}
