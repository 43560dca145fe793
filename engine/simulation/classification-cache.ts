import type { RulesClassifier } from '../../adapters/classifiers/rules-classifier.js';
import type { ModelSpec, Task } from '../../policies/schema.js';
import type { ValidRequest } from '../request.js';
import type { Decision } from '../router.js';
import type { Classification } from '../seams/classifier.js';

/** Entries per generation; at most two generations are kept (bounds memory whatever the trace length). */
const GENERATION = 16_384;
const TASK_INDEX: Record<Task, number> = { code: 1, math: 2, chat: 3, summarization: 4, extraction: 5, 'retrieval-qa': 6, other: 7 };

/** One memoised row shape: its classification and, once routed, its (undecorated) decision. */
export interface CachedRoute {
  classification: Classification;
  /** The decision `decide()` returned for this entry (set by the caller when the decision depends on nothing else). */
  decision?: Decision;
}

/**
 * Memoises the rules classifier for rows without text (token-count trace rows). `RulesClassifier.classify`
 * is a pure function of the request's task hint and output cap, the prompt text and its token count,
 * and the policy's models (fixed here), so for an empty text the answer is fully determined by
 * (task, promptTokens, maxOutputTokens) and the cached object is the one the classifier would build.
 * The entry can also carry the row's decision, which is likewise pure (see fast-replay.ts for when it
 * is reused). Rows with text are classified afresh and not cached. Cached objects are shared between
 * records and must not be mutated (nothing in the engine mutates a classification or a decision).
 *
 * Two generations of {@link GENERATION} entries each: a miss goes into the young one; when it is full
 * the old one is dropped, so memory is bounded and frequent shapes stay cached.
 */
export class ClassificationCache {
  private young = new Map<number, Map<number, CachedRoute>>();
  private old = new Map<number, Map<number, CachedRoute>>();
  private youngSize = 0;

  constructor(
    private readonly classifier: RulesClassifier,
    private readonly models: readonly ModelSpec[],
  ) {}

  /** The entry for a row; `undefined` for a row with text (classify it with {@link compute}). */
  lookup(task: Task | undefined, text: string, promptTokens: number, maxOutputTokens: number | undefined): CachedRoute | undefined {
    if (text !== '') return undefined;
    const key = promptTokens * 8 + (task === undefined ? 0 : TASK_INDEX[task]);
    const cap = maxOutputTokens ?? 0;
    let hit = this.young.get(cap)?.get(key);
    if (hit !== undefined) return hit;
    hit = this.old.get(cap)?.get(key);
    if (hit === undefined) hit = { classification: this.compute(task, text, promptTokens, maxOutputTokens) };
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
