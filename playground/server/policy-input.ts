import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { GenaiPricesCatalog } from '../../index.js';
import { examplePolicies, fleetExamplePolicy } from '../../index.js';
import { compilePolicy } from '../../index.js';
import { PolicyError, TollgateError, type FieldIssue } from '../../index.js';
import { readPolicyFile, resolvePolicy, type LoadedPolicy } from '../../index.js';
import { badRequest } from './errors.js';

/** A bundled example policy as the editor shows it: YAML or JSON text the user can edit. */
export interface ExamplePolicy {
  name: string;
  file: string;
  format: 'yaml' | 'json';
  text: string;
}

/** How the page names a policy: editor text (JSON or YAML) or a bundled example by name. */
export type PolicyRef = { text: string; format?: 'yaml' | 'json' } | { example: string };

/** The outcome of validating editor text: the policy, or every failing field path. */
export type PolicyCheck = { ok: true; loaded: LoadedPolicy } | { ok: false; issues: FieldIssue[] };

const catalog = new GenaiPricesCatalog();
let examples: Promise<ExamplePolicy[]> | undefined;

/** The bundled examples, the self-hosted fleet last (`.ts` ones are shown as the YAML of their default export). Cached. */
export function listExamples(): Promise<ExamplePolicy[]> {
  examples ??= Promise.all([...examplePolicies(), fleetExamplePolicy()].map(readExample));
  return examples;
}

async function readExample(file: string): Promise<ExamplePolicy> {
  const ext = extname(file).toLowerCase();
  const name = basename(file, ext);
  if (ext === '.json') return { name, file, format: 'json', text: await readFile(file, 'utf8') };
  if (ext === '.yaml' || ext === '.yml') return { name, file, format: 'yaml', text: await readFile(file, 'utf8') };
  const raw = readPolicyFile(file); // a code policy: its default export (policies/loader.ts)
  return { name, file, format: 'yaml', text: `# from ${basename(file)}\n${stringifyYaml(raw)}` };
}

/** Parses editor text: JSON when it starts with `{` (or format says so), YAML otherwise. */
export function parsePolicyText(text: string, format?: 'yaml' | 'json'): unknown {
  const asJson = format === 'json' || (format === undefined && text.trimStart().startsWith('{'));
  try {
    return asJson ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const first = (err as Error).message.split('\n')[0];
    throw new PolicyError(undefined, [{ path: '', message: `cannot parse ${asJson ? 'JSON' : 'YAML'}: ${first}` }]);
  }
}

/**
 * Validates editor text with the same zod schema and cross-field checks as `tollgate validate`
 * (and prices every model, as the CLI does). Never throws for a bad policy: returns its issues.
 */
export function checkPolicyText(text: string, format?: 'yaml' | 'json'): PolicyCheck {
  try {
    const loaded = resolvePolicy(parsePolicyText(text, format));
    compilePolicy(loaded, catalog);
    return { ok: true, loaded };
  } catch (err) {
    if (err instanceof PolicyError) return { ok: false, issues: err.issues };
    if (err instanceof TollgateError) {
      const model = typeof err.details.model === 'string' ? err.details.model : undefined;
      return { ok: false, issues: [{ path: model ? `models.${model}` : '', message: err.message }] };
    }
    throw err;
  }
}

/** Resolves what the page sent into a loaded policy, or a 400 listing the field paths. */
export async function resolvePolicyRef(ref: PolicyRef, index: number): Promise<LoadedPolicy> {
  if ('example' in ref) {
    const found = (await listExamples()).find((e) => e.name === ref.example);
    if (!found) throw badRequest(`policies[${index}]: no bundled example "${ref.example}"`);
    return resolvePolicyRef({ text: found.text, format: found.format }, index);
  }
  const check = checkPolicyText(ref.text, ref.format);
  if (!check.ok) throw badRequest(`policies[${index}] is invalid`, check.issues.map((i) => ({ path: i.path, message: i.message })));
  return check.loaded;
}
