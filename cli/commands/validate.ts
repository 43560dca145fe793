import type { Command } from 'commander';
import { PolicyError } from '../../index.js';
import { GenaiPricesCatalog } from '../../index.js';
import { compilePolicy } from '../../index.js';
import { isCodePolicy, loadPolicy } from '../../index.js';
import { CliUsageError, type CliIo } from '../io.js';

export function registerValidate(program: Command, io: CliIo): void {
  program
    .command('validate')
    .description('Check a policy file (schema, references, fallback cycles, prices) and print its version.')
    .argument('<policy...>', 'policy files (.yaml, .json or .ts)')
    .addHelpText('after', '\nExample:\n  $ tollgate validate policies/examples/cost-aware.ts')
    .action(async (files: string[]) => {
      let failed = 0;
      for (const file of files) {
        if (isCodePolicy(file)) {
          io.err(`note ${file}: a .ts/.js policy is code; validating it executes it with this process's rights. Use YAML or JSON for policies from authors you would not let run code.\n`);
        }
        try {
          const loaded = await loadPolicy(file);
          compilePolicy(loaded, new GenaiPricesCatalog());
          io.out(`ok ${file}: policy "${loaded.policy.name}" version ${loaded.version} (${loaded.policy.models.length} models, ${loaded.policy.rules.length} rules)\n`);
        } catch (err) {
          failed++;
          if (err instanceof PolicyError) {
            io.err(`invalid ${file}:\n${err.issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}\n`);
          } else throw err;
        }
      }
      if (failed) throw new CliUsageError(`${failed} of ${files.length} policies invalid`, 1);
    });
}
