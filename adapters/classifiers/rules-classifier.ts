import type { ModelSpec, Task } from '../../policies/schema.js';
import type { Classification, ClassifierInput, RequestClassifier } from '../../engine/seams/classifier.js';

/** Typical answer length per task (tokens): median and a ~p95 upper estimate. */
export const OUTPUT_TOKENS_BY_TASK: Record<Task, { median: number; upper: number }> = {
  code: { median: 450, upper: 1500 },
  math: { median: 350, upper: 1200 },
  chat: { median: 200, upper: 700 },
  summarization: { median: 180, upper: 500 },
  extraction: { median: 120, upper: 400 },
  'retrieval-qa': { median: 160, upper: 500 },
  other: { median: 250, upper: 900 },
};

const TASK_PATTERNS: [Task, RegExp][] = [
  ['code', /```|\b(function|class|def|import|compile|refactor|bug|stack ?trace|typescript|python|javascript|sql|regex|unit test)\b/i],
  ['math', /\b(prove|proof|theorem|integral|derivative|equation|solve for|probability|lemma|calculate)\b|[∑∫√]|\d+\s*[*/^]\s*\d+/i],
  ['summarization', /\b(summari[sz]e|summary|tl;?dr|key points|condense)\b/i],
  ['extraction', /\b(extract|parse|list all|pull out|fill in the json|named entities|as json)\b/i],
  ['retrieval-qa', /\b(according to the (document|context|passage)|based on the (context|document)s?|context:|sources?:)\b/i],
];

const HARD = /\b(prove|optimi[sz]e|step by step|rigorous|complex|architecture|design a|trade-?offs?|edge cases|multi-step|analy[sz]e)\b/i;

/**
 * The v1 classifier: keyword rules for the task, a complexity score from prompt length and "hard" cues,
 * output length by task, and per-model quality from the policy's priors lowered by complexity.
 * Deterministic and allocation-light (it runs on every request).
 */
export class RulesClassifier implements RequestClassifier {
  readonly specificationVersion = 'v1' as const;
  classify(input: ClassifierInput, models: readonly ModelSpec[]): Classification {
    const { request, text, promptTokens } = input;
    const task: Task = request.task ?? detectTask(text);
    const lengthScore = Math.min(1, Math.log10(1 + promptTokens) / 4); // 10k tokens → 1
    const cue = HARD.test(text) ? 0.35 : 0;
    const taskBase = task === 'math' || task === 'code' ? 0.2 : 0;
    const complexity = Math.min(1, round2(0.45 * lengthScore + cue + taskBase));
    const out = OUTPUT_TOKENS_BY_TASK[task];
    const cap = request.maxOutputTokens ?? Number.POSITIVE_INFINITY;
    const quality: Record<string, number> = {};
    for (const m of models) {
      const prior = m.taskQuality?.[task] ?? m.quality;
      quality[m.id] = Math.max(0, prior - complexity * (1 - prior));
    }
    return {
      task,
      complexity,
      predictedOutputTokens: Math.min(out.median, cap),
      outputTokensUpper: Math.min(out.upper, cap),
      quality,
      source: 'rules@1',
    };
  }
}

export function detectTask(text: string): Task {
  for (const [task, re] of TASK_PATTERNS) if (re.test(text)) return task;
  return 'chat';
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
