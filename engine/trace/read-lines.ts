import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { TraceNotFoundError } from './errors.js';

/** One physical line of a text file, 1-based. */
export interface NumberedLine {
  line: number;
  text: string;
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

/**
 * Streams a UTF-8 text file line by line in constant memory (CRLF or LF; a leading BOM is
 * dropped). Every physical line is yielded, blank ones included, so line numbers stay exact.
 */
export async function* readNumberedLines(file: string): AsyncGenerator<NumberedLine> {
  await assertTraceFile(file);
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of lines) {
      line += 1;
      yield { line, text: line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}
