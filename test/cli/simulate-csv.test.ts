import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SimulationReport } from '../../offline/simulation/index.js';
import { COST_AWARE, tempDir, writeGeneratedTrace } from '../offline/simulation/fixtures.js';
import { cli, expectOneLineError } from './capture-io.js';

/** A small Azure LLM inference trace CSV (the published format). */
function azureCsv(file: string): string {
  const rows = ['TIMESTAMP,ContextTokens,GeneratedTokens'];
  for (let i = 0; i < 60; i++) rows.push(`2023-11-16 18:${String(10 + (i % 50)).padStart(2, '0')}:46.6805900,${200 + ((i * 137) % 3000)},${20 + ((i * 53) % 400)}`);
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

const simulate = async (...args: string[]) => {
  const r = await cli('simulate', '--policy', COST_AWARE, '--json', ...args);
  return { ...r, report: r.code === 0 ? (JSON.parse(r.out) as SimulationReport) : undefined };
};

describe('tollgate simulate --trace on a CSV', () => {
  it('costs the same whatever the file is called, and says what it assumed', async () => {
    const dir = tempDir('tollgate-sim-csv-');
    const code = azureCsv(join(dir, 'AzureLLMInferenceTrace_code.csv'));
    const plain = join(dir, 'trace.csv');
    copyFileSync(code, plain);
    const a = await simulate('--trace', code);
    const b = await simulate('--trace', plain);
    expect(a.code).toBe(0);
    expect(a.report!.policies[0]!.fullCostMicros).toBe(b.report!.policies[0]!.fullCostMicros);
    expect(Object.keys(a.report!.policies[0]!.byTenant)).toEqual(['azure']);
    expect(a.err).toContain(`trace ${code}: Azure LLM inference CSV; tenant "azure" (default; set --tenant), no task hint (the classifier infers it; set --task)`);
  });

  it('takes tenant and task from --tenant and --task', async () => {
    const dir = tempDir('tollgate-sim-csv-');
    const trace = azureCsv(join(dir, 'conv.csv'));
    const r = await simulate('--trace', trace, '--tenant', 'acme', '--task', 'code');
    expect(r.code).toBe(0);
    expect(Object.keys(r.report!.policies[0]!.byTenant)).toEqual(['acme']);
    expect(r.err).toContain('tenant "acme" (--tenant), task code (--task)');
    const untasked = await simulate('--trace', trace, '--tenant', 'acme');
    expect(untasked.report!.policies[0]!.fullCostMicros).not.toBe(r.report!.policies[0]!.fullCostMicros); // the task hint routes code to stronger models
  });

  it('refuses a task that does not exist, and the flags on a JSONL trace', async () => {
    const dir = tempDir('tollgate-sim-csv-');
    expectOneLineError(await cli('simulate', '--policy', COST_AWARE, '--trace', azureCsv(join(dir, 'a.csv')), '--task', 'poetry'), /--task must be one of /);
    const jsonl = await writeGeneratedTrace(dir, 20, 'sim-csv');
    expectOneLineError(await cli('simulate', '--policy', COST_AWARE, '--trace', jsonl, '--tenant', 'acme'), /--tenant and --task apply to CSV traces/);
  });
});
