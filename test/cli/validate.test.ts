import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../offline/simulation/fixtures.js';
import { cli } from './capture-io.js';

describe('tollgate validate', () => {
  it('reports every error of every file in one run: schema, references and missing prices together', async () => {
    const dir = tempDir('tollgate-validate-');
    const broken = join(dir, 'broken.yaml');
    writeFileSync(
      broken,
      [
        'name: broken',
        'models:',
        '  - { id: local, tier: local-gpu, adapter: simulated, contextWindow: 8192, quality: 2 }', // schema: quality > 1, no infra
        '  - { id: no-such-vendor-model-xyz, tier: vendor, adapter: simulated, contextWindow: 8192, quality: 0.8 }', // no price
        'rules:',
        '  - { name: r, models: [ghost] }', // reference
        'fallbacks:',
        '  local: [phantom]', // reference
      ].join('\n'),
    );
    const unparsable = join(dir, 'unparsable.json');
    writeFileSync(unparsable, '{ "name": ');
    const missing = join(dir, 'missing.yaml');
    const r = await cli('validate', broken, unparsable, missing, 'policies/examples/all-vendor.yaml');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ok policies\/examples\/all-vendor\.yaml: policy "all-vendor"/m);
    const section = r.err.slice(r.err.indexOf(`invalid ${broken}`), r.err.indexOf(`invalid ${unparsable}`));
    expect(section).toMatch(/models\[0\]\.quality: /); // schema
    expect(section).toMatch(/rules\[0\]\.models\[0\]: unknown model "ghost"/); // reference
    expect(section).toMatch(/fallbacks\.local\[0\]: fallback names missing model "phantom"/); // reference
    expect(section).toMatch(/models\[1\]\.prices: No price for model "no-such-vendor-model-xyz"/); // price
    expect(r.err).toMatch(new RegExp(`invalid ${unparsable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(1 issue\\):\\n  \\(root\\): cannot parse json`));
    expect(r.err).toMatch(/missing\.yaml \(1 issue\):\n {2}\(root\): file not found/);
    expect(r.err).toMatch(/3 of 4 policies invalid/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('the bundled examples pass', async () => {
    const r = await cli('validate', 'policies/examples/all-vendor.yaml', 'policies/examples/cost-aware.ts', 'policies/examples/quality-first.json');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(3);
  });
});
