import type { Command } from 'commander';
import { bundled } from '../bundled.js';
import { GenaiPricesCatalog, MissingPriceError, PolicyError, compilePolicy, isCodePolicy, modelSchema, policyIssues, readPolicyFile, resolvePolicy } from '../../index.js';
import type { FieldIssue, PriceCatalog } from '../../index.js';
import { CliUsageError, type CliIo } from '../io.js';

/** Every issue of one policy file: read/parse, schema, references and fallback cycles, and missing prices. */
function fileIssues(file: string, catalog: PriceCatalog): { issues: FieldIssue[]; raw?: unknown } {
  let raw: unknown;
  try {
    raw = readPolicyFile(file);
  } catch (err) {
    if (err instanceof PolicyError) return { issues: err.issues };
    throw err;
  }
  const issues = policyIssues(raw);
  const models = (raw as { models?: unknown } | undefined)?.models;
  (Array.isArray(models) ? models : []).forEach((m, i) => {
    const spec = modelSchema.safeParse(m);
    if (!spec.success || spec.data.tier !== 'vendor' || spec.data.prices) return;
    try {
      catalog.priceFor(spec.data);
    } catch (err) {
      if (err instanceof MissingPriceError) issues.push({ path: `models[${i}].prices`, message: err.message });
      else throw err;
    }
  });
  return { issues, raw };
}

export function registerValidate(program: Command, io: CliIo): void {
  program
    .command('validate')
    .description('Check policy files (schema, references, fallback cycles, prices) and print their versions; every issue of every file in one run.')
    .argument('<policy...>', 'policy files (.yaml, .json or .ts)')
    .addHelpText('after', '\nExample (the bundled example policies):\n  $ tollgate validate ' + bundled('policies/examples/cost-aware.ts') + ' ' + bundled('policies/examples/all-vendor.yaml') + '')
    .action(async (files: string[]) => {
      const catalog = new GenaiPricesCatalog();
      let failed = 0;
      for (const file of files) {
        if (isCodePolicy(file)) {
          io.err(`note ${file}: a .ts/.js policy is code; validating it executes it with this process's rights. Use YAML or JSON for policies from authors you would not let run code.\n`);
        }
        try {
          const { issues, raw } = fileIssues(file, catalog);
          if (issues.length === 0) {
            const loaded = resolvePolicy(raw, file);
            compilePolicy(loaded, catalog);
            io.out(`ok ${file}: policy "${loaded.policy.name}" version ${loaded.version} (${loaded.policy.models.length} models, ${loaded.policy.rules.length} rules)\n`);
            continue;
          }
          failed++;
          io.err(`invalid ${file} (${issues.length} ${issues.length === 1 ? 'issue' : 'issues'}):\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}\n`);
        } catch (err) {
          failed++;
          io.err(`invalid ${file}:\n  ${(err as Error).message}\n`);
        }
      }
      if (failed) throw new CliUsageError(`${failed} of ${files.length} policies invalid`, 1);
    });
}
