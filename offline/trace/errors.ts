import { TollgateError } from '../../errors.js';

/**
 * One row of a trace file is malformed (bad JSON, bad timestamp, negative tokens, wrong column
 * count, …). `line` is the 1-based physical line number in the file, `reason` says what to fix.
 * Code: `trace_row_invalid`.
 */
export class TraceRowError extends TollgateError {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  constructor(file: string, line: number, reason: string) {
    super('trace_row_invalid', `${file}:${line}: ${reason}`, { file, line, reason });
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** The trace file does not exist (or is not a regular file). Code: `trace_not_found`. */
export class TraceNotFoundError extends TollgateError {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason = 'no such file') {
    super('trace_not_found', `Trace file not found: ${file} (${reason})`, { file, reason });
    this.file = file;
    this.reason = reason;
  }
}

/**
 * The file is not a trace format Tollgate knows, or a CSV header lacks a required column.
 * Code: `trace_format_invalid`.
 */
export class TraceFormatError extends TollgateError {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string) {
    super('trace_format_invalid', `${file}: ${reason}`, { file, reason });
    this.file = file;
    this.reason = reason;
  }
}

/**
 * The trace yielded no request: the file is empty, holds only a header or blank lines, or every
 * row was skipped as malformed. Raised by the readers at the end of iteration unless
 * `allowEmpty` is set. Code: `trace_empty`.
 */
export class TraceEmptyError extends TollgateError {
  readonly file: string;
  readonly skipped: number;
  constructor(file: string, skipped: number) {
    const why = skipped > 0 ? `all ${skipped} rows were malformed and skipped` : 'it has no request rows';
    super('trace_empty', `Trace ${file} is empty: ${why}`, { file, skipped });
    this.file = file;
    this.skipped = skipped;
  }
}
