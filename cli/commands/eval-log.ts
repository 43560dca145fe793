/** `tollgate eval --from-log`: the live classifier against retrained artefacts on held-out production rows (offline/learning/evaluate-log.ts). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { compilePolicy, GenaiPricesCatalog, loadPolicy, loadPolicyClassifier, type RequestClassifier } from '../../index.js';
import { evaluateOnLog, type LogEvaluation, readLogTraining } from '../../offline/learning/index.js';
import { CliUsageError, type CliIo } from '../io.js';
import { parseHoldout } from './train-log.js';

const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10000) / 10000);

/** The `--json` object of `eval --from-log`. */
export function logEvalSummary(e: LogEvaluation, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    ...extra,
    n: e.n,
    unscorable: e.unscorable,
    bootstrap: e.bootstrap,
    classifiers: Object.fromEntries(
      Object.entries(e.classifiers).map(([k, c]) => [
        k,
        {
          classifier: c.classifier,
          brier: r4(c.brier),
          brierCi: [r4(c.ci.brier.lo), r4(c.ci.brier.hi)],
          logLoss: r4(c.logLoss),
          logLossCi: [r4(c.ci.logLoss.lo), r4(c.ci.logLoss.hi)],
          skill: r4(c.skill),
          ...(c.brierVsFirst ? { brierVsLive: r4(c.brierVsFirst.diff), brierVsLiveCi: [r4(c.brierVsFirst.ci.lo), r4(c.brierVsFirst.ci.hi)], betterThanLive: c.brierVsFirst.ci.hi !== null && c.brierVsFirst.ci.hi < 0 } : {}),
          routing: { shares: Object.fromEntries(Object.entries(c.routing.shares).map(([m, s]) => [m, r4(s)])), predictedCostMicros: c.routing.predictedCostMicros },
        },
      ]),
    ),
  };
}

export async function evalFromLog(o: { fromLog: string; prompts?: string; policy: string; artefact: string[]; holdout: string; bootstrap: number; seed: string; json?: boolean; out: string }, io: CliIo): Promise<void> {
  const holdout = parseHoldout(o.holdout);
  if (holdout === 0) throw new CliUsageError('--from-log evaluates the held-out share of the log: --holdout must be above 0 (the same as train --from-log used)');
  const loaded = await loadPolicy(o.policy);
  const policy = compilePolicy(loaded, new GenaiPricesCatalog());
  const { heldOut, counts } = await readLogTraining(policy, o.fromLog, { prompts: o.prompts, holdout });
  const classifiers: Record<string, RequestClassifier> = { live: await loadPolicyClassifier(loaded) };
  for (const dir of o.artefact) {
    const abs = resolve(dir);
    const name = basename(abs);
    if (classifiers[name]) throw new CliUsageError(`--artefact ${dir}: two artefacts named "${name}"`);
    classifiers[name] = await loadPolicyClassifier({ ...loaded, policy: { ...loaded.policy, classifier: { ...(loaded.policy.classifier ?? {}), kind: 'learned', artifact: abs } } });
  }
  try {
    const e = await evaluateOnLog(policy, heldOut, classifiers, { bootstrap: o.bootstrap, seed: Number(o.seed) });
    const summary = logEvalSummary(e, { policy: loaded.policy.name, log: o.fromLog, holdout, heldOutRows: heldOut.rows.length, logCounts: counts });
    const dir = resolve(o.out);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'eval.json'), `${JSON.stringify(summary, null, 2)}\n`);
    if (o.json) return io.out(`${JSON.stringify(summary)}\n`);
    io.out(`${loaded.policy.name}: the latest ${heldOut.rows.length} labelled requests of ${o.fromLog} (holdout ${holdout}); ${e.n} scorable by every classifier; intervals: 95% bootstrap (${e.bootstrap} resamples)\n`);
    io.out('each row scores only the model that answered it: predictions are compared (Brier, log loss of the predicted success of that model), not a replayed frontier\n\n');
    const f = (x: number | null) => (x === null ? '-' : x.toFixed(4));
    const rows = [['', 'classifier', 'Brier [95% CI]', 'log loss [95% CI]', 'skill', 'Brier − live [95% CI]', 'router would send', 'predicted µ$/req']];
    for (const [name, c] of Object.entries(e.classifiers)) {
      const mix = Object.entries(c.routing.shares).sort((a, b) => b[1] - a[1]).map(([m, s]) => `${m} ${(s * 100).toFixed(0)}%`).join(', ');
      rows.push([name, c.classifier, `${f(c.brier)} [${f(c.ci.brier.lo)}, ${f(c.ci.brier.hi)}]`, `${f(c.logLoss)} [${f(c.ci.logLoss.lo)}, ${f(c.ci.logLoss.hi)}]`, f(c.skill), c.brierVsFirst ? `${f(c.brierVsFirst.diff)} [${f(c.brierVsFirst.ci.lo)}, ${f(c.brierVsFirst.ci.hi)}]` : '', mix, String(c.routing.predictedCostMicros)]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) io.out(`${r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}\n`);
    io.out(`\nBrier − live below 0 with its whole interval: the artefact predicts production feedback better than the live one\nwrote ${join(dir, 'eval.json')}\n`);
  } finally {
    for (const c of Object.values(classifiers)) await (c as { close?: () => Promise<void> }).close?.();
  }
}
