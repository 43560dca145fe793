import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../policies/errors.js';
import { loadPolicy, MAX_POLICY_BYTES } from '../../policies/loader.js';
import { cli } from '../cli/capture-io.js';
import { simPolicy } from '../support/policies.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-policy-limits-'));

describe('policy files an author cannot use to take the process down (issue #14, item 6)', () => {
  it('refuses a 50 MB policy before reading or parsing it', async () => {
    const file = join(dir, 'huge.yaml');
    const head = stringify(simPolicy());
    writeFileSync(file, `${head}description: "${'x'.repeat(50 * 1024 * 1024)}"\n`);
    const err = await loadPolicy(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).issues[0]!.message).toMatch(new RegExp(`over the limit of ${MAX_POLICY_BYTES}`));
  });

  it('accepts a policy just under the limit', async () => {
    const file = join(dir, 'big.json');
    const p = { ...simPolicy(), description: 'y'.repeat(MAX_POLICY_BYTES - 10_000) };
    writeFileSync(file, JSON.stringify(p));
    expect((await loadPolicy(file)).policy.description).toHaveLength(MAX_POLICY_BYTES - 10_000);
  });

  it('tollgate validate says that a .ts policy is executed, and does not say it for YAML', async () => {
    const ts = join(dir, 'p.ts');
    writeFileSync(ts, `export default ${JSON.stringify(simPolicy())};\n`);
    const yaml = join(dir, 'p.yaml');
    writeFileSync(yaml, stringify(simPolicy()));
    const r = await cli('validate', ts);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/is code; validating it executes it/);
    expect(r.err).toMatch(/Use YAML or JSON/);
    const y = await cli('validate', yaml);
    expect(y.code).toBe(0);
    expect(y.err).toBe('');
  });
});
