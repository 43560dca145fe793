import type { RulesClassifier } from '../../adapters/classifiers/rules-classifier.js';
import type { ModelSpec, Task } from '../../policies/schema.js';
import type { ValidRequest } from '../request.js';
import type { Classification } from '../seams/classifier.js';

/** Entries kept before the cache starts over (bounds memory on traces with many distinct prompt sizes). */
const MAX_ENTRIES = 65_536;
const TASK_INDEX: Record<Task, number> = { code: 1, math: 2, chat: 3, summarization: 4, extraction: 5, 'retrieval-qa': 6, other: 7 };

/**
 * Memoises the rules classifier for rows without text (token-count trace rows). `RulesClassifier.classify`
 * is a pure function of the request's task hint and output cap, the prompt text and its token count,
 * and the policy's models (fixed here), so for an empty text the answer is fully determined by
 * (task, promptTokens, maxOutputTokens) and the cached object is the one the classifier would build.
 * Rows with text are classified afresh. Cached classifications are shared between records'
 * decisions and must not be mutated (nothing in the engine mutates a classification).
 */
export class ClassificationCache {
  private readonly byKey = new Map<number, Classification>();
  private readonly byCapKey = new Map<string, Classification>();

  constructor(
    private readonly classifier: RulesClassifier,
    private readonly models: readonly ModelSpec[],
  ) {}

  classify(task: Task | undefined, text: string, promptTokens: number, maxOutputTokens: number | undefined): Classification {
    if (text !== '') return this.compute(task, text, promptTokens, maxOutputTokens);
    const t = task === undefined ? 0 : TASK_INDEX[task];
    if (maxOutputTokens === undefined) {
      const key = promptTokens * 8 + t;
      let c = this.byKey.get(key);
      if (c === undefined) {
        if (this.byKey.size >= MAX_ENTRIES) this.byKey.clear();
        this.byKey.set(key, (c = this.compute(task, text, promptTokens, undefined)));
      }
      return c;
    }
    const key = `${t}|${promptTokens}|${maxOutputTokens}`;
    let c = this.byCapKey.get(key);
    if (c === undefined) {
      if (this.byCapKey.size >= MAX_ENTRIES) this.byCapKey.clear();
      this.byCapKey.set(key, (c = this.compute(task, text, promptTokens, maxOutputTokens)));
    }
    return c;
  }

  private compute(task: Task | undefined, text: string, promptTokens: number, maxOutputTokens: number | undefined): Classification {
    // The rules classifier reads only `task` and `maxOutputTokens` of the request.
    const request = { tenant: '', messages: [], task, maxOutputTokens } as unknown as ValidRequest;
    return this.classifier.classify({ request, text, promptTokens }, this.models);
  }
}
