import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from '../index.js';
import { TollgateError } from '../index.js';
import { redactSecrets } from '../index.js';
import { registerCommands } from './commands/index.js';
import { CliUsageError, type CliIo, processIo } from './io.js';

/**
 * Runs the `tollgate` CLI in process and resolves with its exit code. User errors (bad flags, missing
 * files, invalid policies or traces) print one line to stderr and exit non-zero, never a stack trace.
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = new Command('tollgate')
    .description('Route every LLM request to the cheapest model that is good enough, and know what every token cost.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: () => undefined })
    .showSuggestionAfterError(true)
    .version(packageVersion(), '-V, --version', 'print the version of tollgate');
  registerCommands(program, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      io.err(`error: ${err.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (err instanceof CliUsageError) {
      io.err(`error: ${err.message}\n`);
      return err.exitCode;
    }
    const listen = listenError(err);
    if (listen) {
      io.err(`error: ${listen}\n`);
      return 1;
    }
    if (err instanceof TollgateError) {
      io.err(`error [${err.code}]: ${redactSecrets(err.message)}\n`);
      return 1;
    }
    io.err(`internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 70;
  }
}

/** The installed package's version (package.json beside dist/ or the sources). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** A server that cannot listen (port taken, privileged port): one line instead of a stack trace. */
function listenError(err: unknown): string | undefined {
  const e = err as { code?: string; syscall?: string; address?: string; port?: number } | undefined;
  if (e?.syscall !== 'listen' && e?.code !== 'EADDRINUSE') return undefined;
  const where = e.address !== undefined ? `${e.address}:${e.port}` : 'the requested address';
  if (e.code === 'EADDRINUSE') return `cannot listen on ${where}: the port is already in use (another process listens there); choose another with --port`;
  if (e.code === 'EACCES') return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose another with --port`;
  if (e.code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: the address is not on this machine; check --host`;
  return undefined;
}
