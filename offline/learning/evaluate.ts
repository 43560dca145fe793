/**
 * Routing evaluation on labeled data (`tollgate eval`, the routing bench, `tune --data`): classify every
 * prompt with the policy's classifier, replay the router at every useful floor of the weak/strong rule,
 * and score each operating point with the data's labels. Costs are the router's predicted costs under the
 * policy's prices (integer micro-dollars per request, averaged).
 */
import type { CompiledPolicy } from '../../index.js';
import { requestFacts } from '../../index.js';
import { validateRequest } from '../../index.js';
import type { ClassifierInput, RequestClassifier, Classification } from '../../index.js';
import { RoutingDataError } from './errors.js';
import type { LabeledData } from './labeled-csv.js';
import { closeCurve, type CurvePoint, randomCurve, type RoutingMetrics, routingMetrics } from './metrics.js';
import { type ReplayItem, replayCurve, replayPinned, type SeparatingRule, separatingRule } from './replay.js';

export interface RoutingEvaluation {
  weak: string;
  strong: string;
  rule: string;
  n: number;
  classifier: string;
  metrics: RoutingMetrics;
  random: RoutingMetrics;
  allWeak: CurvePoint;
  allStrong: CurvePoint;
  curve: CurvePoint[];
}

type Models = Parameters<RequestClassifier['classify']>[1];
type BatchClassifier = RequestClassifier & {
  classifyMany?: (inputs: readonly ClassifierInput[], models: Models) => Promise<Classification[]>;
  outOfFoldProbabilities?: (data: LabeledData) => number[][] | undefined;
  classifyWithProbabilities?: (inputs: readonly ClassifierInput[], models: Models, probs: readonly (readonly number[])[]) => Promise<Classification[]>;
};

/** True when `classifier` is a learned classifier trained on exactly `data`: replays then use its out-of-fold predictions. */
export function replaysOutOfFold(classifier: RequestClassifier, data: LabeledData): boolean {
  return !!(classifier as BatchClassifier).outOfFoldProbabilities?.(data);
}

const rowFacts = (policy: CompiledPolicy, data: LabeledData) =>
  data.rows.map((r, i) => requestFacts(policy, validateRequest({ id: `row-${i + 1}`, tenant: 'eval', messages: [{ role: 'user', content: r.prompt }] }), 0));

/** The classifier input of every row, exactly as {@link buildReplayItems} classifies it. */
export function replayInputs(policy: CompiledPolicy, data: LabeledData): ClassifierInput[] {
  return rowFacts(policy, data).map((f) => ({ request: f.request, text: f.text, promptTokens: f.maxPromptTokens }));
}

/**
 * Facts + classification + labels for every row. Model columns must be policy model ids. When the
 * classifier was trained on exactly these rows, each row gets the artefact's out-of-fold prediction
 * (from a model that never saw it) instead of an in-sample one.
 */
export async function buildReplayItems(policy: CompiledPolicy, data: LabeledData, classifier: RequestClassifier): Promise<ReplayItem[]> {
  for (const m of data.models) if (!policy.byId.has(m)) throw new RoutingDataError(data.file, `model column "${m}" is not a model of policy "${policy.name}" (models: ${[...policy.byId.keys()].join(', ')})`);
  const facts = rowFacts(policy, data);
  const inputs: ClassifierInput[] = facts.map((f) => ({ request: f.request, text: f.text, promptTokens: f.maxPromptTokens }));
  const models = policy.policy.models;
  const batch = classifier as BatchClassifier;
  const classifications: Classification[] = [];
  const oof = batch.outOfFoldProbabilities?.(data);
  if (oof && batch.classifyWithProbabilities) {
    for (let i = 0; i < inputs.length; i += 512) classifications.push(...(await batch.classifyWithProbabilities(inputs.slice(i, i + 512), models, oof.slice(i, i + 512))));
  } else if (batch.classifyMany) {
    for (let i = 0; i < inputs.length; i += 512) classifications.push(...(await batch.classifyMany(inputs.slice(i, i + 512), models)));
  } else {
    for (const input of inputs) classifications.push(await classifier.classify(input, models));
  }
  return facts.map((f, i) => ({
    facts: { tenant: 'eval', tags: [], promptTokens: f.promptTokens },
    classification: classifications[i]!,
    observed: data.rows[i]!.scores,
  }));
}

/** The evaluation of prepared items (pure given the items). */
export function evaluateItems(policy: CompiledPolicy, items: readonly ReplayItem[], sep: SeparatingRule, classifierSource: string): RoutingEvaluation {
  const allWeak = strip(replayPinned(policy, items, sep.weak, sep.strong));
  const allStrong = strip(replayPinned(policy, items, sep.strong, sep.strong));
  const curve = replayCurve(policy, sep, items).map(strip);
  const closed = closeCurve(curve, allWeak, allStrong);
  return {
    weak: sep.weak,
    strong: sep.strong,
    rule: sep.rule,
    n: items.length,
    classifier: classifierSource,
    metrics: routingMetrics(closed, allWeak.quality, allStrong.quality),
    random: routingMetrics(randomCurve(allWeak, allStrong), allWeak.quality, allStrong.quality),
    allWeak,
    allStrong,
    curve: closed,
  };
}

/** Classifies and evaluates labeled data end to end. */
export async function evaluateRouting(policy: CompiledPolicy, data: LabeledData, classifier: RequestClassifier, ids: { weak?: string; strong?: string } = {}): Promise<RoutingEvaluation> {
  const sep = separatingRule(policy, ids.weak, ids.strong);
  const items = await buildReplayItems(policy, data, classifier);
  const first = items[0]?.classification.source ?? 'unknown';
  return evaluateItems(policy, items, sep, first);
}

const strip = (p: CurvePoint & { tokens?: number }): CurvePoint => ({
  strongShare: round(p.strongShare, 6),
  quality: round(p.quality, 6),
  cost: Math.round(p.cost),
  ...(p.threshold !== undefined ? { threshold: round(p.threshold, 6) } : {}),
});
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
