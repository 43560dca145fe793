import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, expectOneLineError } from './capture-io.js';
import { EVAL, FIX, STRONG, trainedPolicy, WEAK } from './routing-fixtures.js';

let t: Awaited<ReturnType<typeof trainedPolicy>>;
beforeAll(async () => {
  t = await trainedPolicy('tollgate-eval-');
});

describe('tollgate eval', () => {
  it('--json: the frontier (router, zero router, oracle, each model with costAt95) and the pair APGR with intervals; writes eval.json and frontier.svg', async () => {
    const out = join(t.dir, 'eval-out');
    const r = await cli('eval', '--data', EVAL, '--policy', t.policy, '--json', '--out', out, '--strong', STRONG, '--weak', WEAK, '--bootstrap', '50', '--compare', 'rules');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.costSource).toBe('policy');
    for (const c of [j.router, j.others.rules, j.zeroRouter, j.oracle]) {
      expect(c).toHaveProperty('costAt95');
      expect(c.aiqCi).toHaveLength(2);
      expect(c.maxQuality).toBeLessThanOrEqual(1);
    }
    for (const id of [WEAK, STRONG]) expect(j.models[id]).toHaveProperty('costAt95');
    expect(j.models[STRONG].costAt95).toBe(j.models[STRONG].cost); // the best model reaches 95% of itself
    expect(j.router.apgr).toBeTypeOf('number');
    expect(j.router.apgr).toBeLessThanOrEqual(1);
    expect(j.router.apgrCi[0]).toBeLessThanOrEqual(j.router.apgr);
    expect(j.router.apgrCi[1]).toBeGreaterThanOrEqual(j.router.apgr);
    expect(j.router.pair).toMatchObject({ weak: WEAK, strong: STRONG, random: { apgr: 0.5 } });
    expect(j.oracle.aiq).toBeGreaterThanOrEqual(j.zeroRouter.aiq);
    // The headline: cost at 95% against the zero router and against rules, paired within each resample.
    const vs = j.router.vs.rules;
    expect(j.others.rules).not.toHaveProperty('vs');
    if (j.router.costAt95 !== null && j.others.rules.costAt95 !== null) expect(vs.costAt95Ratio).toBeCloseTo(j.router.costAt95 / j.others.rules.costAt95, 2);
    expect(vs.aiqDiff).toBeCloseTo(j.router.aiq - j.others.rules.aiq, 3);
    expect(vs.aiqDiffCi[0]).toBeLessThanOrEqual(vs.aiqDiff);
    expect(vs.aiqDiffCi[1]).toBeGreaterThanOrEqual(vs.aiqDiff);
    expect(j.headline.vsRules).toEqual({ ratio: vs.costAt95Ratio, ci: vs.costAt95RatioCi, separates: vs.costAt95RatioCi[1] !== null && vs.costAt95RatioCi[1] < 1 });
    expect(j.headline.vsZeroRouter).toEqual({ ratio: j.router.costAt95VsZero, ci: j.router.costAt95VsZeroCi, separates: j.router.costAt95VsZeroCi[1] !== null && j.router.costAt95VsZeroCi[1] < 1 });
    expect(j.models[STRONG].cost).toBeGreaterThan(j.models[WEAK].cost * 5); // GPT-4 Turbo vs Mixtral prices
    expect(existsSync(join(out, 'eval.json'))).toBe(true);
    expect(readFileSync(join(out, 'frontier.svg'), 'utf8')).toMatch(/^<svg[\s\S]*polyline[\s\S]*<\/svg>\n$/);
  });

  it('N models with real costs: the hand-computed zero-router and oracle figures', async () => {
    const r = await cli('eval', '--data', join(FIX, 'three-models.csv'), '--policy', join(FIX, 'three-models.yaml'), '--json', '--out', join(t.dir, 'eval-3'), '--bootstrap', '20');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ n: 4, droppedRows: 1, emptyCells: 2, costSource: 'data', bestModel: 'model-c', target95: 0.7125 });
    expect(j.zeroRouter.costAt95).toBe(88);
    expect(j.oracle.costAt95).toBe(31.6);
    expect(j.models).toMatchObject({ 'model-a': { costAt95: null, quality: 0.25, cost: 10 }, 'model-c': { costAt95: 100 } });
    expect(j.router).not.toHaveProperty('apgr'); // no pair named, three candidates
    // Paired within each resample: the policy's (rules) router against the rules classifier is exactly 1 / 0.
    const same = JSON.parse((await cli('eval', '--data', join(FIX, 'three-models.csv'), '--policy', join(FIX, 'three-models.yaml'), '--json', '--out', join(t.dir, 'eval-3b'), '--bootstrap', '20', '--compare', 'rules')).out);
    expect(same.router.vs.rules).toEqual({ costAt95Ratio: 1, costAt95RatioCi: [1, 1], aiqDiff: 0, aiqDiffCi: [0, 0] });
    expect(same.headline.vsRules).toEqual({ ratio: 1, ci: [1, 1], separates: false });
  });

  it('prints the frontier table by default', async () => {
    const r = await cli('eval', '--data', join(FIX, 'three-models.csv'), '--policy', join(FIX, 'three-models.yaml'), '--out', join(t.dir, 'eval-out2'), '--bootstrap', '10');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/zero router\s+0\.750 \(max\)\s+88\.0 \[/);
    expect(r.out).toMatch(/oracle\s+0\.750 \(max\)\s+31\.6 \[/);
    expect(r.out).toMatch(/1 rows without every label left out/);
  });

  it('bad inputs and unscorable evaluations: one-line errors', async () => {
    const noPrompt = join(t.dir, 'no-prompt.csv');
    writeFileSync(noPrompt, `text,${WEAK},${STRONG}\nhi,True,False\n`);
    expectOneLineError(await cli('eval', '--data', noPrompt, '--policy', t.policy), /no "prompt" column/);
    expectOneLineError(await cli('eval', '--data', EVAL, '--policy', t.policy, '--strong', 'gpt-5', '--weak', WEAK), /model "gpt-5" is not declared in the policy/);
    const twoCols = join(t.dir, 'two.csv');
    writeFileSync(twoCols, 'prompt,model-a,model-b\nhi,True,False\nho,False,True\n');
    expectOneLineError(await cli('eval', '--data', twoCols, '--policy', join(FIX, 'three-models.yaml')), /can route to model-c, which has no label column/);
  });
});
