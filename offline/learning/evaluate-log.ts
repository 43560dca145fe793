/**
 * Compares classifiers on held-out production rows (`tollgate eval --from-log`): the latest share of a
 * decision log's labelled requests (offline/learning/log-training.ts), which a retrained artefact never
 * saw. Each row scores one model — the one that answered — so the comparison is of predictions, not of
 * a replayed frontier (what another model would have scored on a request is unknown): per classifier,
 * the Brier score and log loss of its predicted success of the answering model against the feedback
 * score (a learned classifier's probabilities; the rules classifier's predicted quality), the Brier
 * skill against the artefact's training priors, and the difference to the first (live) classifier within
 * each bootstrap resample (below 0: better than the live one). Also what switching it on would do: the
 * share of held-out requests the policy's router would send to each model and their mean predicted cost.
 */
import type { Classification, ClassifierInput, CompiledPolicy, RequestClassifier } from '../../index.js';
import { decide } from '../../index.js';
import { buildReplayItems } from './evaluate.js';
import { interval, type Interval } from './evaluate-frontier.js';
import type { LabeledData } from './labeled-csv.js';
import { RoutingEvaluationError } from './errors.js';
import { Prng } from '../trace/index.js';

type Models = Parameters<RequestClassifier['classify']>[1];
type Scorable = RequestClassifier & { manifest?: { models: string[]; priors: number[]; version: string }; probabilities?: (inputs: readonly ClassifierInput[], models: Models) => Promise<number[][]> };

export interface LogClassifierScore {
  classifier: string;
  n: number;
  brier: number;
  logLoss: number;
  /** 1 − Brier ÷ the Brier of the artefact's training priors (0: no better than always predicting the prior); null for the rules classifier. */
  skill: number | null;
  /** This classifier's Brier − the first classifier's, per resample (absent on the first). */
  brierVsFirst?: { diff: number; ci: Interval };
  ci: { brier: Interval; logLoss: Interval };
  /** Share of the held-out requests the policy's router would send to each model with this classifier, and their mean predicted cost (µ$). */
  routing: { shares: Record<string, number>; predictedCostMicros: number };
}

export interface LogEvaluation {
  n: number;
  /** Held-out rows no compared classifier can score (their model is missing from an artefact). */
  unscorable: number;
  bootstrap: number;
  classifiers: Record<string, LogClassifierScore>;
}

const clip = (p: number) => Math.min(1 - 1e-6, Math.max(1e-6, p));

/** A seeded uniform [0, 1) source (the trace tools' mulberry32). */
function rng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}

/** Scores `classifiers` (the first is the live one) on the held-out rows `data`. */
export async function evaluateOnLog(policy: CompiledPolicy, data: LabeledData, classifiers: Record<string, RequestClassifier>, o: { bootstrap?: number; seed?: number } = {}): Promise<LogEvaluation> {
  if (!data.rows.length) throw new RoutingEvaluationError(`${data.file}: no held-out rows to evaluate (raise --holdout or log more feedback)`);
  const logged = data.rows.map((r) => Object.keys(r.scores)[0]!);
  const ys = data.rows.map((r, i) => r.scores[logged[i]!]!);
  const predictions: { name: string; p: (number | undefined)[]; prior: (number | undefined)[]; items: Awaited<ReturnType<typeof buildReplayItems>>; source: string; learned: boolean }[] = [];
  for (const [name, c] of Object.entries(classifiers)) {
    const items = await buildReplayItems(policy, { ...data, models: [...new Set(logged)] }, c);
    const sc = c as Scorable;
    let p: (number | undefined)[];
    let prior: (number | undefined)[] = logged.map(() => undefined);
    if (sc.probabilities && sc.manifest) {
      const inputs = items.map((it, i) => ({ request: { tenant: 'eval', messages: [{ role: 'user' as const, content: data.rows[i]!.prompt }] }, text: data.rows[i]!.prompt, promptTokens: Math.max(...it.facts.promptTokens.values()) }));
      const probs: number[][] = [];
      for (let i = 0; i < inputs.length; i += 512) probs.push(...(await sc.probabilities(inputs.slice(i, i + 512) as never, policy.policy.models)));
      const m = sc.manifest;
      p = logged.map((id, i) => (m.models.includes(id) ? probs[i]![m.models.indexOf(id)] : undefined));
      prior = logged.map((id) => (m.models.includes(id) ? m.priors[m.models.indexOf(id)] : undefined));
    } else {
      p = logged.map((id, i) => (items[i]!.classification as Classification).quality[id]);
    }
    predictions.push({ name, p, prior, items, source: items[0]?.classification.source ?? name, learned: !!sc.manifest });
  }
  const rows = Int32Array.from(logged.map((_, i) => i).filter((i) => predictions.every((x) => x.p[i] !== undefined)));
  if (!rows.length) throw new RoutingEvaluationError(`${data.file}: no held-out row's model is known to every compared classifier`);
  const figures = (x: (typeof predictions)[number], sample: ArrayLike<number>) => {
    let b = 0;
    let l = 0;
    let bp = 0;
    for (let k = 0; k < sample.length; k++) {
      const i = sample[k]!;
      const p = clip(x.p[i]!);
      b += (p - ys[i]!) ** 2;
      l -= ys[i]! * Math.log(p) + (1 - ys[i]!) * Math.log(1 - p);
      if (x.prior[i] !== undefined) bp += (x.prior[i]! - ys[i]!) ** 2;
    }
    return { brier: b / sample.length, logLoss: l / sample.length, skill: x.learned && bp > 0 ? 1 - b / bp : null };
  };
  const B = o.bootstrap ?? 200;
  const draw = rng(o.seed ?? 1);
  const samples: Int32Array[] = [];
  for (let s = 0; s < B; s++) samples.push(Int32Array.from({ length: rows.length }, () => rows[Math.floor(draw() * rows.length)]!));
  const out: Record<string, LogClassifierScore> = {};
  const first = predictions[0]!;
  for (const x of predictions) {
    const f = figures(x, rows);
    const per = samples.map((s) => figures(x, s));
    const shares: Record<string, number> = {};
    let cost = 0;
    for (const it of x.items) {
      const d = decide(policy, it.facts, it.classification);
      shares[d.chosen.id] = (shares[d.chosen.id] ?? 0) + 1 / x.items.length;
      cost += d.predictedCostMicros / x.items.length;
    }
    out[x.name] = {
      classifier: x.source,
      n: rows.length,
      brier: f.brier,
      logLoss: f.logLoss,
      skill: f.skill,
      ...(x === first ? {} : { brierVsFirst: { diff: f.brier - figures(first, rows).brier, ci: interval(samples.map((s) => figures(x, s).brier - figures(first, s).brier)) } }),
      ci: { brier: interval(per.map((v) => v.brier)), logLoss: interval(per.map((v) => v.logLoss)) },
      routing: { shares, predictedCostMicros: Math.round(cost) },
    };
  }
  return { n: rows.length, unscorable: data.rows.length - rows.length, bootstrap: B, classifiers: out };
}
