import type { RulesClassifier } from '../../adapters/classifiers/rules-classifier.js';
import type { ModelSpec, Task } from '../../policies/schema.js';
import type { ValidRequest } from '../request.js';
import type { Classification } from '../seams/classifier.js';

/**
 * Entries per generation; at most two generations are kept, so memory is bounded whatever the trace
 * length. Small on purpose: entries that die after promotion to the old generation grow peak RSS
 * (measured: 16k per generation, and caching decisions too, made peak RSS at 1M rows 1.5× that at
 * 100k; 4k and classifications only keeps it ≈ 1.2× for the same CPU time).
 */
const GENERATION = 4_096;
const TASK_INDEX: Record<Task, number> = { code: 1, math: 2, chat: 3, summarization: 4, extraction: 5, 'retrieval-qa': 6, other: 7 };

/**
 * Memoises the rules classifier for rows without text (token-count trace rows). `RulesClassifier.classify`
 * is a pure function of the request's task hint and output cap, the prompt text and its token count,
 * and the policy's models (fixed here), so for an empty text the answer is fully determined by
 * (task, promptTokens, maxOutputTokens) and the cached object is the one the classifier would build.
 * Rows with text are classified afresh and not cached. Cached classifications are shared between
 * rows and must not be mutated (nothing in the engine mutates a classification).
 *
 * Two generations of {@link GENERATION} entries each: a miss goes into the young one; when it is full
 * the old one is dropped, so memory is bounded and frequent shapes stay cached.
 */
export class ClassificationCache {
  private young = new Map<number, Map<number, Classification>>();
  private old = new Map<number, Map<number, Classification>>();
  private youngSize = 0;

  constructor(
    private readonly classifier: RulesClassifier,
    private readonly models: readonly ModelSpec[],
  ) {}

  /** The classification of a row without text; `undefined` for a row with text (classify it with {@link compute}). */
  lookup(task: Task | undefined, text: string, promptTokens: number, maxOutputTokens: number | undefined): Classification | undefined {
    if (text !== '') return undefined;
    const key = promptTokens * 8 + (task === undefined ? 0 : TASK_INDEX[task]);
    const cap = maxOutputTokens ?? 0;
    let hit = this.young.get(cap)?.get(key);
    if (hit !== undefined) return hit;
    hit = this.old.get(cap)?.get(key);
    if (hit === undefined) hit = this.compute(task, text, promptTokens, maxOutputTokens);
    if (this.youngSize >= GENERATION) {
      this.old = this.young;
      this.young = new Map();
      this.youngSize = 0;
    }
    let byKey = this.young.get(cap);
    if (byKey === undefined) this.young.set(cap, (byKey = new Map()));
    byKey.set(key, hit);
    this.youngSize++;
    return hit;
  }

  /** The rules classifier's answer for a row. */
  compute(task: Task | undefined, text: string, promptTokens: number, maxOutputTokens: number | undefined): Classification {
    // The rules classifier reads only `task` and `maxOutputTokens` of the request.
    const request = { tenant: '', messages: [], task, maxOutputTokens } as unknown as ValidRequest;
    return this.classifier.classify({ request, text, promptTokens }, this.models);
  }
}
