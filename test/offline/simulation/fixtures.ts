import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTrace, writeTraceJsonl } from '../../../offline/trace/index.js';
import { examplePolicies } from '../../../policies/bundled-files.js';

/** A temp folder for one test file. */
export const tempDir = (prefix = 'tollgate-sim-'): string => mkdtempSync(join(tmpdir(), prefix));

/** Writes a generated trace (token counts and messages) of `requests` rows; returns its path. */
export async function writeGeneratedTrace(dir: string, requests = 500, seed = 'sim-test', messages = true): Promise<string> {
  const file = join(dir, `trace-${requests}-${seed}.jsonl`);
  await writeTraceJsonl(file, generateTrace({ seed, requests, tenants: 6, messages, ratePerSecond: 0.5 }));
  return file;
}

/** Writes raw lines as a trace file. */
export function writeLines(dir: string, name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return file;
}

export const [ALL_VENDOR, COST_AWARE, QUALITY_FIRST] = examplePolicies() as [string, string, string];
