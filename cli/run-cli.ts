import { Command, CommanderError } from 'commander';
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
    .showSuggestionAfterError(true);
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
    if (err instanceof TollgateError) {
      io.err(`error [${err.code}]: ${redactSecrets(err.message)}\n`);
      return 1;
    }
    io.err(`internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 70;
  }
}
