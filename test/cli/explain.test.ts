import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DryRun } from '../../engine/tollgate.js';
import { ALL_VENDOR, COST_AWARE, tempDir } from '../offline/simulation/fixtures.js';
import { cli, expectOneLineError } from './capture-io.js';

let dir: string;
const file = (name: string, value: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return path;
};
beforeAll(() => {
  dir = tempDir('tollgate-cli-explain-');
});

describe('tollgate explain', () => {
  it('prints candidates, predicted cost and quality, the rule and fallbacks', async () => {
    const req = file('chat.json', { id: 'r1', tenant: 'acme', messages: [{ role: 'user', content: 'Tell me a fun fact about the moon.' }] });
    const r = await cli('explain', '--policy', COST_AWARE, req);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^request r1: \d+ prompt tokens/);
    expect(r.out).toMatch(/rule fired: everything-else/);
    expect(r.out).toMatch(/chosen: (llama-3\.1-8b-local|distil-1b) \((local-gpu|distilled)\), predicted \$0\.\d{4}, quality 0\.\d{3}/);
    expect(r.out).toMatch(/fallbacks: .*gpt-4o-mini/);
    expect(r.out).toMatch(/- gpt-4o\s+vendor|\+ gpt-4o\s+vendor/);
  });

  it('--json prints the dry run; a trace row works as the request', async () => {
    const row = file('row.json', { id: 'row-1', timestamp: '2024-06-03T00:00:00Z', tenant: 'acme', task: 'code', promptTokens: 4000 });
    const r = await cli('explain', '--policy', ALL_VENDOR, row, '--json');
    expect(r.code).toBe(0);
    const dry = JSON.parse(r.out) as DryRun;
    expect(dry).toMatchObject({ requestId: 'row-1', rule: 'frontier', model: 'gpt-4o', promptTokens: 4000, fallbackChain: ['claude-sonnet-4-5'] });
    expect(dry.classification.task).toBe('code');
    expect(dry.candidates[0]!.predictedCostMicros).toBeGreaterThan(0);
  });

  it('bad input: one line, non-zero exit', async () => {
    const ok = file('ok.json', { tenant: 'a', messages: [{ role: 'user', content: 'hi' }] });
    expectOneLineError(await cli('explain', '--policy', COST_AWARE, join(dir, 'none.json')), /request file not found/);
    expectOneLineError(await cli('explain', '--policy', COST_AWARE, file('broken.json', '{"tenant":')), /not valid JSON/);
    expectOneLineError(await cli('explain', '--policy', COST_AWARE, file('norole.json', { tenant: 'a', messages: [] })), /invalid_request.*messages/);
    expectOneLineError(await cli('explain', '--policy', COST_AWARE, file('badrow.json', { timestamp: 'soon', tenant: 'a', promptTokens: 1 })), /invalid trace row: timestamp/);
    expectOneLineError(await cli('explain', '--policy', file('p.yaml', 'name: p\nmodels: []\n'), ok), /invalid policy .*p\.yaml: models: /);
    expectOneLineError(await cli('explain', ok), /required option '--policy <file>'/);
    const help = await cli('explain', '--help');
    expect(help.out).toMatch(/Example:\n\s+\$ echo/);
  });
});
