/** Where a command writes: injectable so tests run the CLI in process and read what it printed. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stdout is a terminal (progress bars only then). */
  isTty: boolean;
}

export const processIo = (): CliIo => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTty: !!process.stdout.isTTY && !!process.stderr.isTTY,
});

/** Thrown by commands for user errors: printed as one line, exit code `exitCode`, no stack trace. */
export class CliUsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}
