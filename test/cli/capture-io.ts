import { runCli } from '../../cli/run-cli.js';
import type { CliIo } from '../../cli/io.js';

/** Runs the CLI in process with a capturing, non-TTY io. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), isTty: false };
  const code = await runCli(argv, io);
  return { code, out, err };
}

/** A user error: non-zero exit, exactly one stderr line, no stack trace. */
export function expectOneLineError(r: { code: number; err: string }, pattern: RegExp): void {
  if (r.code === 0) throw new Error(`expected a non-zero exit, got 0 (stderr: ${r.err})`);
  const lines = r.err.trimEnd().split('\n');
  if (lines.length !== 1) throw new Error(`expected one stderr line, got ${lines.length}:\n${r.err}`);
  if (/\n\s+at /.test(r.err) || r.err.includes('internal error')) throw new Error(`stack trace printed:\n${r.err}`);
  if (!pattern.test(r.err)) throw new Error(`stderr ${JSON.stringify(r.err)} does not match ${pattern}`);
}
