import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, expectOneLineError } from './capture-io.js';
import { EVAL, STRONG, trainedPolicy, WEAK } from './routing-fixtures.js';

let t: Awaited<ReturnType<typeof trainedPolicy>>;
beforeAll(async () => {
  t = await trainedPolicy('tollgate-eval-');
});

describe('tollgate eval', () => {
  it('--json prints RouteLLM metrics and the curve; writes eval.json and curve.svg', async () => {
    const out = join(t.dir, 'eval-out');
    const r = await cli('eval', '--data', EVAL, '--policy', t.policy, '--json', '--out', out, '--strong', STRONG, '--weak', WEAK);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const k of ['apgr', 'cpt50', 'cpt80', 'cpt95', 'strongShareAt95']) expect(j[k]).toBeTypeOf('number');
    expect(j.random.apgr).toBeCloseTo(0.5, 6);
    expect(j.curve.length).toBeGreaterThan(10);
    expect(j.curve[0]).toMatchObject({ strongShare: 0 });
    expect(j.curve.at(-1)).toMatchObject({ strongShare: 1 });
    for (const p of j.curve) expect(Object.keys(p)).toEqual(expect.arrayContaining(['strongShare', 'quality', 'cost']));
    expect(j.costAllStrongMicros).toBeGreaterThan(j.costAllWeakMicros * 5); // GPT-4 Turbo vs Mixtral prices
    expect(existsSync(join(out, 'eval.json'))).toBe(true);
    expect(readFileSync(join(out, 'curve.svg'), 'utf8')).toMatch(/^<svg[\s\S]*polyline[\s\S]*<\/svg>\n$/);
  });

  it('prints a table by default', async () => {
    const r = await cli('eval', '--data', EVAL, '--policy', t.policy, '--out', join(t.dir, 'eval-out2'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/APGR 0\.\d{3} \(random 0\.500\)\s+CPT\(50%\)/);
  });

  it('bad inputs: one-line errors', async () => {
    const noPrompt = join(t.dir, 'no-prompt.csv');
    writeFileSync(noPrompt, `text,${WEAK},${STRONG}\nhi,True,False\n`);
    expectOneLineError(await cli('eval', '--data', noPrompt, '--policy', t.policy), /no "prompt" column/);
    expectOneLineError(await cli('eval', '--data', EVAL, '--policy', t.policy, '--strong', 'gpt-5'), /model "gpt-5" is not declared in the policy/);
    const otherCols = join(t.dir, 'other.csv');
    writeFileSync(otherCols, 'prompt,a,b\nhi,True,False\n');
    expectOneLineError(await cli('eval', '--data', otherCols, '--policy', t.policy), /unknown model column "mistralai\/Mixtral-8x7B-Instruct-v0\.1"/);
  });
});
