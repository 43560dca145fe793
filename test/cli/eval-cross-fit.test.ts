/**
 * `tollgate eval --cross-fit K`: the policy's learned router retrained per fold on the other folds, every
 * row scored out of fold (offline/learning/cross-fit.ts). Synthetic two-model data where the weak model
 * fails on code prompts only, so a router that reads the prompt has something to learn.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, expectOneLineError } from './capture-io.js';
import { FIX, STRONG, WEAK } from './routing-fixtures.js';

const CODE = ['Write a python function that reverses a linked list', 'Fix the bug in this javascript loop', 'Implement binary search in typescript'];
const HIST = ['In what year did the Roman empire fall', 'Who led the French revolution armies', 'When was the Magna Carta signed by the king'];

function dataset(n: number): string {
  let s = 5;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = [`prompt,${WEAK},${STRONG}`];
  for (let i = 0; i < n; i++) {
    const code = r() < 0.5;
    const weakRight = r() < (code ? 0.2 : 0.9);
    lines.push(`"${(code ? CODE : HIST)[Math.floor(r() * 3)]!} (case ${i})",${weakRight ? 'True' : 'False'},${r() < 0.92 ? 'True' : 'False'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('tollgate eval --cross-fit', () => {
  it('scores every row out of fold with per-fold training reported, and refuses bad folds or a rules policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-eval-cf-'));
    const data = join(dir, 'pair.csv');
    writeFileSync(data, dataset(120));
    // The policy's artefact is not needed: each fold's router is trained afresh.
    const policy = join(dir, 'mmlu.yaml');
    writeFileSync(policy, readFileSync(join(import.meta.dirname, '../../policies/examples/mmlu-learned.yaml'), 'utf8').replace('artifact: ../../examples/routing/mmlu-router', 'artifact: ./no-such-router'));
    const r = await cli('eval', '--data', data, '--policy', policy, '--cross-fit', '3', '--compare', 'rules', '--bootstrap', '30', '--json', '--out', join(dir, 'out'));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.n).toBe(120);
    expect(j.crossFit.folds).toBe(3);
    expect(j.crossFit.perFold).toHaveLength(3);
    expect(j.crossFit.perFold.reduce((a: number, f: { heldRows: number }) => a + f.heldRows, 0)).toBe(120);
    for (const f of j.crossFit.perFold) expect(f.trainRows + f.heldRows).toBe(120);
    expect(j.router.outOfFold).toBe(true);
    expect(j.router.classifier).toMatch(/^cross-fit 3 folds/);
    expect(j.router.apgr).toBeGreaterThan(0.6); // the weak model's code failures are learnable
    expect(j.router.apgr).toBeLessThanOrEqual(1);

    expectOneLineError(await cli('eval', '--data', data, '--policy', policy, '--cross-fit', '1'), /--cross-fit must be an integer ≥ 2/);
    expectOneLineError(await cli('eval', '--data', join(FIX, 'three-models.csv'), '--policy', join(FIX, 'three-models.yaml'), '--cross-fit', '2'), /--cross-fit retrains a learned router/);
  }, 180_000);
});
