import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTollgate } from '../../compose.js';
import { readDecisionLog } from '../../offline/reporting/decision-log-reader.js';
import { cli, expectOneLineError } from './capture-io.js';

// End to end: requests through the engine (simulated adapter) with prompt capture on, feedback from a
// judge, `train --from-log` on the earlier requests, `eval --from-log` on the later ones.
const policyDoc = (prompts: boolean) => ({
  name: 'prod',
  models: [
    { id: 'weak', tier: 'vendor', adapter: 'simulated', contextWindow: 8000, prices: { inputPerM: 0.1, outputPerM: 0.1 }, quality: 0.6 },
    { id: 'strong', tier: 'vendor', adapter: 'simulated', contextWindow: 8000, prices: { inputPerM: 10, outputPerM: 30 }, quality: 0.9 },
  ],
  rules: [{ name: 'all', models: ['weak', 'strong'], qualityFloor: 0.8 }],
  ...(prompts ? { log: { prompts: true } } : {}),
});

const NAMES = ['Ada', 'Bo', 'Cy', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal', 'Ivy', 'Jo'];
const hard = (i: number) => i % 2 === 0;
const prompt = (i: number) =>
  hard(i)
    ? `Prove that the integral of x^${i % 7 + 2} times sin(${i % 5 + 1}x) over [0, pi] equals the stated closed form, and derive the recurrence step by step.`
    : `Say a friendly hello to ${NAMES[i % NAMES.length]} and wish them a nice ${['morning', 'day', 'evening'][i % 3]}.`;
/** The judge: the strong model always succeeds, the weak one only on the easy prompts. */
const judge = (i: number, model: string) => (model === 'strong' || !hard(i) ? 1 : 0);

let dir: string;
let policy: string;
let log: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-train-log-'));
  policy = join(dir, 'prod.json');
  writeFileSync(policy, JSON.stringify(policyDoc(true)));
  log = join(dir, 'decisions.jsonl');
  const tg = createTollgate({ policy, decisionLog: log });
  for (let i = 0; i < 160; i++) {
    // Exploration traffic: three requests in four pinned to a model (blocks of four alternate), the rest routed.
    const pinned = i % 4 === 3 ? undefined : Math.floor(i / 4) % 2 ? 'weak' : 'strong';
    const content = i === 5 ? `${prompt(i)} My key is sk-abcdefghijklmnop1234.` : prompt(i);
    const r = (await tg.complete({ id: `req-${i}`, tenant: 'acme', model: pinned, messages: [{ role: 'user', content }] })) as { model: string };
    if (i % 10 === 1) await tg.feedback(`req-${i}`, 1 - judge(i, r.model)); // a wrong first score …
    if (i !== 7) await tg.feedback(`req-${i}`, judge(i, r.model)); // … the judge's later one wins; req-7 never scored
  }
  await tg.close();
}, 300_000);

describe('learning from production: prompt capture, train --from-log, eval --from-log', () => {
  it('the engine appends redacted prompt lines only when the policy turns capture on; readers of records skip them', async () => {
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const prompts = lines.filter((l) => l.kind === 'prompt');
    expect(prompts).toHaveLength(160);
    expect(prompts[0]).toMatchObject({ v: 1, kind: 'prompt', requestId: 'req-0', turns: 1, text: prompt(0) });
    const five = prompts.find((p) => p.requestId === 'req-5')!.text as string;
    expect(five).not.toContain('abcdefghijklmnop1234');
    expect(five).toContain('sk-[redacted]');
    const records = [];
    for await (const r of readDecisionLog(log)) records.push(r);
    expect(records).toHaveLength(160);
    expect(records.every((r) => !('text' in r))).toBe(true);
    // Off by default: the same traffic without `log` writes no prompt line.
    const offPolicy = join(dir, 'off.json');
    writeFileSync(offPolicy, JSON.stringify(policyDoc(false)));
    const offLog = join(dir, 'off.jsonl');
    const tg = createTollgate({ policy: offPolicy, decisionLog: offLog });
    await tg.complete({ id: 'x', tenant: 'acme', messages: [{ role: 'user', content: prompt(1) }] });
    await tg.close();
    expect(readFileSync(offLog, 'utf8')).not.toContain('"kind":"prompt"');
  });

  it('train --from-log builds labelled rows (latest feedback wins) and writes a versioned artefact; eval --from-log compares it with the live classifier on the held-out requests', async () => {
    const a = join(dir, 'router-a');
    const t = await cli('train', '--from-log', log, '--policy', policy, '--out', a, '--holdout', '0.25');
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/160 decision records, 160 answered by a model, 159 with feedback, 159 of those with a captured prompt/);
    expect(t.out).toMatch(/119 rows to train on, the latest 40 held out/);
    const manifest = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ method: 'logreg', models: ['weak', 'strong'], training: { rows: 119 } });
    expect(manifest.version).toMatch(/^[0-9a-f]{16}$/);
    // Latest feedback wins: the strong model's labels are all 1 (its wrong first scores were 0).
    expect(manifest.priors[1]).toBe(1);
    expect(manifest.priors[0]).toBeGreaterThan(0.3);
    expect(manifest.priors[0]).toBeLessThan(0.7);
    expect(manifest.metrics.validation.logreg.score).toBeGreaterThan(0.5); // out-of-fold Brier skill
    expect(existsSync(join(a, 'head.onnx'))).toBe(true);

    const b = join(dir, 'router-b'); // a second artefact to compare (a copy: training twice is slow on a busy machine)
    cpSync(a, b, { recursive: true });
    const out = join(dir, 'eval');
    const e = await cli('eval', '--from-log', log, '--policy', policy, '--artefact', a, '--artefact', b, '--holdout', '0.25', '--json', '--out', out);
    expect(e.code, e.err).toBe(0);
    const j = JSON.parse(e.out);
    expect(j).toMatchObject({ heldOutRows: 40, n: 40, unscorable: 0 });
    expect(JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'))).toEqual(j);
    const live = j.classifiers.live;
    const ra = j.classifiers['router-a'];
    expect(live.classifier).toMatch(/^rules/);
    expect(ra.classifier).toBe(`logreg@${manifest.version}`);
    expect(ra.brier).toBeLessThan(0.1);
    expect(ra.brier).toBeLessThan(live.brier);
    expect(ra.brierVsLive).toBeLessThan(0);
    expect(ra.brierVsLiveCi[1]).toBeLessThan(0);
    expect(ra.betterThanLive).toBe(true);
    expect(j.classifiers['router-b'].betterThanLive).toBe(true);
    // Switched on, the retrained router sends about the hard half to the strong model.
    expect(ra.routing.shares.strong).toBeGreaterThan(0.35);
    expect(ra.routing.shares.strong).toBeLessThan(0.65);
    const table = await cli('eval', '--from-log', log, '--policy', policy, '--artefact', a, '--holdout', '0.25', '--out', out);
    expect(table.out).toMatch(/router-a\s+logreg@\w+\s+0\.0\d+ \[/);
  }, 400_000);

  it('bad inputs: one-line errors before anything is trained', async () => {
    expectOneLineError(await cli('train', '--from-log', log, '--out', join(dir, 'x')), /--from-log needs --policy/);
    expectOneLineError(await cli('train', '--from-log', log, '--data', 'x.csv', '--policy', policy, '--out', join(dir, 'x')), /exactly one of --data/);
    expectOneLineError(await cli('train', '--from-log', log, '--policy', policy, '--holdout', '1', '--out', join(dir, 'x')), /--holdout must be a share in \[0, 1\)/);
    expectOneLineError(await cli('eval', '--from-log', log, '--policy', policy, '--holdout', '0'), /--holdout must be above 0/);
    const empty = join(dir, 'no-prompts.jsonl');
    writeFileSync(empty, readFileSync(log, 'utf8').split('\n').filter((l) => !l.includes('"kind":"prompt"')).join('\n'));
    expectOneLineError(await cli('train', '--from-log', empty, '--policy', policy, '--out', join(dir, 'x')), /routing_data_invalid.*no answered request has both feedback and a captured prompt.*log: \{ prompts: true \}/);
  });
});
