import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../engine/errors.js';
import { loadPolicy, resolvePolicy } from '../../policies/loader.js';
import { simPolicy } from '../support/policies.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-policy-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function policyError(p: Promise<unknown>): Promise<PolicyError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PolicyError);
  return err as PolicyError;
}

describe('loadPolicy', () => {
  it('loads the three example policies from yaml, ts and json', async () => {
    const names = [];
    for (const f of ['all-vendor.yaml', 'cost-aware.ts', 'quality-first.json']) {
      const loaded = await loadPolicy(join('policies/examples', f));
      expect(loaded.version).toMatch(/^[0-9a-f]{12}$/);
      names.push(loaded.policy.name);
    }
    expect(names).toEqual(['all-vendor', 'cost-aware', 'quality-first']);
  });

  it('gives the same version to the same content in yaml and json, and a new one when meaning changes', async () => {
    const p = simPolicy();
    const a = await loadPolicy(write('a.json', JSON.stringify(p)));
    const b = await loadPolicy(write('b.yaml', `# comment\n${JSON.stringify(p, null, 2)}`));
    expect(a.version).toBe(b.version);
    const c = resolvePolicy({ ...p, rules: [{ name: 'default', qualityFloor: 0.6 }] });
    expect(c.version).not.toBe(a.version);
  });

  it('names the file and every failing field path', async () => {
    const bad = { name: '', models: [{ id: 'x', tier: 'cloud', adapter: 'simulated', contextWindow: -1 }], rules: [{ name: 'r', qualityFloor: 2 }] };
    const err = await policyError(loadPolicy(write('bad.json', JSON.stringify(bad))));
    expect(err.code).toBe('policy_invalid');
    expect(err.file).toContain('bad.json');
    const paths = err.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'models[0].tier', 'models[0].contextWindow', 'rules[0].qualityFloor']));
    expect(err.message).toContain('bad.json');
    expect(err.message).toContain('models[0].tier');
  });

  it('rejects a fallback naming a missing model and a fallback cycle', () => {
    const missing = simPolicy({ fallbacks: { mini: ['nope'] } });
    expect(() => resolvePolicy(missing, 'm.yaml')).toThrow(PolicyError);
    try {
      resolvePolicy(missing, 'm.yaml');
    } catch (e) {
      expect((e as PolicyError).issues).toEqual([{ path: 'fallbacks.mini[0]', message: 'fallback names missing model "nope"' }]);
    }
    const cycle = simPolicy({ fallbacks: { mini: ['big'], big: ['local'], local: ['mini'] } });
    try {
      resolvePolicy(cycle);
      expect.unreachable();
    } catch (e) {
      expect((e as PolicyError).issues[0]!.message).toMatch(/fallback cycle: (\w+ -> ){3}\w+/);
    }
  });

  it('reports duplicate ids, unknown rule models, unknown keys and missing endpoints', () => {
    const p = simPolicy();
    const raw = { ...p, models: [...p.models, { ...p.models[0]!, adapter: 'openai-compatible' }], rules: [{ name: 'r', models: ['ghost'] }], extra: 1 };
    try {
      resolvePolicy(raw);
      expect.unreachable();
    } catch (e) {
      const paths = (e as PolicyError).issues.map((i) => i.path);
      expect(paths).toContain('');
    }
    const raw2 = { ...p, models: [...p.models, { ...p.models[0]!, adapter: 'openai-compatible' }], rules: [{ name: 'r', models: ['ghost'] }] };
    try {
      resolvePolicy(raw2);
      expect.unreachable();
    } catch (e) {
      const paths = (e as PolicyError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['models[3].id', 'models[3].endpoint', 'rules[0].models[0]']));
    }
  });

  it('reports unreadable, unparsable and unsupported files as PolicyError', async () => {
    expect((await policyError(loadPolicy(join(dir, 'missing.yaml')))).issues[0]!.message).toBe('file not found');
    expect((await policyError(loadPolicy(write('broken.yaml', 'name: [unclosed')))).issues[0]!.message).toMatch(/cannot parse yaml/);
    expect((await policyError(loadPolicy(write('p.toml', 'x=1')))).issues[0]!.message).toMatch(/unsupported/);
    expect((await policyError(loadPolicy(write('throws.ts', 'throw new Error("boom"); export default {}')))).issues[0]!.message).toMatch(/boom/);
  });

  it('loads a .ts policy written with definePolicy at run time', async () => {
    const file = write('mine.ts', `import { definePolicy } from '${join(process.cwd(), 'policies/define-policy.ts')}';\nconst floor: number = 0.5;\nexport default definePolicy(${JSON.stringify(simPolicy({ name: 'from-ts' }))});\nvoid floor;\n`);
    const loaded = await loadPolicy(file);
    expect(loaded.policy.name).toBe('from-ts');
    expect(loaded.policy.retry.maxAttempts).toBe(2);
  });
});
