/**
 * Replay items from a decision log (for `tollgate tune --log`): the logged candidates' predicted
 * qualities stand in for the classification (the log holds no prompt text), the logged prompt tokens for
 * the token counts, and a feedback score (see engine/feedback.ts) is the observed quality of the model
 * that answered. Only routed (not pinned), answered requests whose candidates include both models count.
 */
import type { CompiledPolicy } from '../../index.js';
import type { DecisionRecord } from '../../index.js';
import type { ReplayItem } from './replay.js';
import type { Task } from '../../index.js';

export function replayItemsFromLog(policy: CompiledPolicy, records: readonly DecisionRecord[], weak: string, strong: string): ReplayItem[] {
  const out: ReplayItem[] = [];
  for (const r of records) {
    if (r.outcome !== 'ok' || r.rule === 'pinned' || !r.classification) continue;
    const ids = new Set(r.candidates.map((c) => c.model));
    if (!ids.has(weak) || !ids.has(strong)) continue;
    const quality: Record<string, number> = {};
    for (const c of r.candidates) quality[c.model] = c.predictedQuality;
    out.push({
      facts: { tenant: r.tenant, tags: r.tags, promptTokens: new Map([...policy.encodings].map((e) => [e, r.tokens.input] as const)) },
      classification: {
        task: r.classification.task as Task,
        complexity: r.classification.complexity,
        predictedOutputTokens: r.classification.predictedOutputTokens,
        outputTokensUpper: r.classification.predictedOutputTokens,
        quality,
        source: r.classification.source,
      },
      observed: r.feedback !== undefined && r.model ? { [r.model]: r.feedback } : undefined,
    });
  }
  return out;
}
