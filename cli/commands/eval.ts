import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { GenaiPricesCatalog } from '../../index.js';
import { loadPolicyClassifier } from '../../index.js';
import { evaluateRouting, type RoutingEvaluation } from '../../offline/learning/index.js';
import { compilePolicy } from '../../index.js';
import { readLabeledCsv } from '../../offline/learning/index.js';
import { randomCurve } from '../../offline/learning/index.js';
import { separatingRule } from '../../offline/learning/index.js';
import { curveSvg } from '../../offline/learning/index.js';
import { loadPolicy } from '../../index.js';
import type { CliIo } from '../io.js';

/** The `--json` object: RouteLLM's metrics plus the curve. */
export function evalSummary(e: RoutingEvaluation): Record<string, unknown> {
  const r4 = (x: number) => Math.round(x * 10000) / 10000;
  const m = e.metrics;
  return {
    classifier: e.classifier,
    weak: e.weak,
    strong: e.strong,
    rule: e.rule,
    n: e.n,
    qualityWeak: r4(m.qWeak),
    qualityStrong: r4(m.qStrong),
    apgr: r4(m.apgr),
    cpt50: r4(m.cpt50),
    cpt80: r4(m.cpt80),
    cpt95: r4(m.cpt95),
    strongShareAt95: r4(m.strongShareAt95),
    random: { apgr: r4(e.random.apgr), cpt50: r4(e.random.cpt50), cpt80: r4(e.random.cpt80), cpt95: r4(e.random.cpt95), strongShareAt95: r4(e.random.strongShareAt95) },
    costAllWeakMicros: e.allWeak.cost,
    costAllStrongMicros: e.allStrong.cost,
    curve: e.curve,
  };
}

export function registerEval(program: Command, io: CliIo): void {
  program
    .command('eval')
    .description("Evaluate a policy's classifier on labeled data: cost–quality curve vs random routing, PGR, APGR, CPT(50/80/95%).")
    .requiredOption('--data <file>', 'CSV with a prompt column and one True/False (or [0, 1] score) column per model')
    .requiredOption('--policy <file>', 'policy whose classifier and prices are evaluated')
    .option('--strong <model>', 'strong model id (a CSV column and a policy model)')
    .option('--weak <model>', 'weak model id (a CSV column and a policy model)')
    .option('--json', 'print one JSON object')
    .option('--out <dir>', 'where to write eval.json and curve.svg', 'tollgate-eval')
    .addHelpText('after', '\nExample:\n  $ tollgate eval --data ../shared/data/routing/mmlu_eval.csv --policy policies/examples/mmlu-learned.yaml')
    .action(async (o: { data: string; policy: string; strong?: string; weak?: string; json?: boolean; out: string }) => {
      const loaded = await loadPolicy(o.policy);
      const policy = compilePolicy(loaded, new GenaiPricesCatalog());
      const sep = separatingRule(policy, o.weak, o.strong);
      const data = readLabeledCsv(o.data, [sep.weak, sep.strong]);
      const classifier = await loadPolicyClassifier(loaded);
      const e = await evaluateRouting(policy, data, classifier, { weak: sep.weak, strong: sep.strong });
      const summary = evalSummary(e);
      const dir = resolve(o.out);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'eval.json'), `${JSON.stringify(summary, null, 2)}\n`);
      const svg = curveSvg(`${loaded.policy.name}: ${e.classifier} on ${data.rows.length} prompts`, [
        { name: `router (APGR ${e.metrics.apgr.toFixed(3)})`, points: e.curve, color: '#1f77b4' },
        { name: 'random (APGR 0.500)', points: randomCurve(e.allWeak, e.allStrong, 1), color: '#999999', dashed: true },
      ]);
      writeFileSync(join(dir, 'curve.svg'), svg);
      if (o.json) {
        io.out(`${JSON.stringify(summary)}\n`);
        return;
      }
      const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
      const m = e.metrics;
      io.out(`${e.classifier}: ${e.n} prompts, weak ${e.weak} (quality ${m.qWeak.toFixed(3)}, ${e.allWeak.cost} µ$/req), strong ${e.strong} (quality ${m.qStrong.toFixed(3)}, ${e.allStrong.cost} µ$/req)\n`);
      io.out(`strong share  quality  PGR     cost µ$/req\n`);
      for (const target of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]) {
        const p = e.curve.reduce((best, c) => (Math.abs(c.strongShare - target) < Math.abs(best.strongShare - target) ? c : best));
        const pgr = (p.quality - m.qWeak) / (m.qStrong - m.qWeak || 1);
        io.out(`${pct(p.strongShare).padStart(12)}  ${p.quality.toFixed(3).padStart(7)}  ${pgr.toFixed(3).padStart(6)}  ${String(p.cost).padStart(10)}\n`);
      }
      io.out(`APGR ${m.apgr.toFixed(3)} (random 0.500)  CPT(50%) ${pct(m.cpt50)}  CPT(80%) ${pct(m.cpt80)}  CPT(95%) ${pct(m.cpt95)}  strong share at 95% of strong quality ${pct(m.strongShareAt95)} (random ${pct(e.random.strongShareAt95)})\n`);
      io.out(`wrote ${join(dir, 'eval.json')} and ${join(dir, 'curve.svg')}\n`);
    });
}
