import type { ModelSpec, Task } from '../../policies/schema.js';
import type { Classification, ClassifierInput, RequestClassifier } from '../../engine/seams/classifier.js';
import { DIRECT_BELOW, PatternScanner, regExpOf, type ScanPattern } from './pattern-scan.js';

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

/**
 * The task rules in priority order (case-insensitive). `local` is the part that cannot match across a
 * newline (cached per chunk of lines by {@link PatternScanner}), `global` the part that can.
 */
const TASK_RULES: [Task, ScanPattern][] = [
  ['code', { local: '```|\\b(function|class|def|import|compile|refactor|bug|stack ?trace|typescript|python|javascript|sql|regex|unit test)\\b' }],
  // `\d\s*[*/^]\s*\d`, not `\d+\s*[*/^]\s*\d+`: the same matches for `test`, but linear (the `+` form
  // backtracked over every digit run from every start: 20,000 digits took 1.9 s, 1 MiB about an hour).
  ['math', { local: '\\b(prove|proof|theorem|integral|derivative|equation|solve for|probability|lemma|calculate)\\b|[∑∫√]', global: '\\d\\s*[*/^]\\s*\\d', globalNeeds: '*/^' }],
  ['summarization', { local: '\\b(summari[sz]e|summary|tl;?dr|key points|condense)\\b' }],
  ['extraction', { local: '\\b(extract|parse|list all|pull out|fill in the json|named entities|as json)\\b' }],
  ['retrieval-qa', { local: '\\b(according to the (document|context|passage)|based on the (context|document)s?|context:|sources?:)\\b' }],
];
const TASK_PATTERNS: [Task, RegExp][] = TASK_RULES.map(([task, p]) => [task, regExpOf(p)]);

/**
 * The keyword rules read at most this many characters of a prompt: the first 48 Ki and the last 16 Ki
 * (where instructions sit around a long document). Scanning 1 MiB took ~140 ms of the event loop
 * (`'a'` × 2^20), which would stall every other request; 64 Ki takes under 10 ms.
 */
export const RULES_SCAN_CHARS = 64 * 1024;
const SCAN_HEAD = 48 * 1024;

/** The part of a prompt the keyword rules read (all of it up to {@link RULES_SCAN_CHARS}). */
export function scannedText(text: string): string {
  if (text.length <= RULES_SCAN_CHARS) return text;
  return `${text.slice(0, SCAN_HEAD)}\n${text.slice(text.length - (RULES_SCAN_CHARS - SCAN_HEAD))}`;
}

const HARD_RULE: ScanPattern = { local: '\\b(prove|optimi[sz]e|step by step|rigorous|complex|architecture|design a|trade-?offs?|edge cases|multi-step|analy[sz]e)\\b' };
const HARD = regExpOf(HARD_RULE);

/** The task rules in priority order, then HARD; bits in that order. */
const SCAN_PATTERNS: ScanPattern[] = [...TASK_RULES.map(([, p]) => p), HARD_RULE];
const HARD_BIT = 1 << TASK_RULES.length;

/**
 * The v1 classifier: keyword rules for the task, a complexity score from prompt length and "hard" cues,
 * output length by task, and per-model quality from the policy's priors lowered by complexity.
 * Deterministic and allocation-light (it runs on every request).
 */
export class RulesClassifier implements RequestClassifier {
  readonly specificationVersion = 'v1' as const;
  /** Per-chunk pattern matches, so a resent conversation scans only its new lines (exactly the same answer). */
  private readonly scanner = new PatternScanner(SCAN_PATTERNS);
  /** Per task, the quality record of each complexity (hundredths: 0…100), for {@link qualityModels}. */
  private readonly qualities = new Map<Task, (Record<string, number> | undefined)[]>();
  private qualityModels: readonly ModelSpec[] | undefined;

  classify(input: ClassifierInput, models: readonly ModelSpec[]): Classification {
    const { request, promptTokens } = input;
    const text = scannedText(input.text);
    let task: Task;
    let hard: boolean;
    if (text.length === 0) { // no pattern matches an empty prompt (a trace row of token counts only)
      task = request.task ?? 'chat';
      hard = false;
    } else if (text.length < DIRECT_BELOW) { // the scanner would test these directly too, every pattern
      // A short prompt: the rules one by one, stopping at the first task that matches (or none, for a task
      // given) — the same answer as the scanner's mask, without testing every pattern (about 1 µs a request).
      task = request.task ?? detectTask(text);
      hard = HARD.test(text);
    } else {
      const mask = this.scanner.scan(text);
      task = request.task ?? taskOf(mask);
      hard = (mask & HARD_BIT) !== 0;
    }
    const lengthScore = Math.min(1, Math.log10(1 + promptTokens) / 4); // 10k tokens → 1
    const cue = hard ? 0.35 : 0;
    const taskBase = task === 'math' || task === 'code' ? 0.2 : 0;
    const complexity = Math.min(1, round2(0.45 * lengthScore + cue + taskBase));
    const out = OUTPUT_TOKENS_BY_TASK[task];
    const cap = request.maxOutputTokens ?? Number.POSITIVE_INFINITY;
    return {
      task,
      complexity,
      predictedOutputTokens: Math.min(out.median, cap),
      outputTokensUpper: Math.min(out.upper, cap),
      quality: this.quality(models, task, complexity),
      source: 'rules@1',
    };
  }

  /**
   * Per-model quality: each model's prior for the task lowered by complexity. A fresh record per
   * call, copied from one remembered per (task, complexity) while the model list stays the same (a
   * copy of a small record is cheaper than building it key by key; the caller may keep or change it).
   */
  private quality(models: readonly ModelSpec[], task: Task, complexity: number): Record<string, number> {
    if (models !== this.qualityModels) {
      this.qualities.clear();
      this.qualityModels = models;
    }
    const k = Math.round(complexity * 100);
    const kept = k >= 0 && k <= 100 && k / 100 === complexity; // a complexity in hundredths has a slot
    let byComplexity = this.qualities.get(task);
    if (byComplexity === undefined) this.qualities.set(task, (byComplexity = []));
    const known = kept ? byComplexity[k] : undefined;
    if (known !== undefined) return { ...known };
    const quality: Record<string, number> = {};
    for (const m of models) {
      const prior = m.taskQuality?.[task] ?? m.quality;
      quality[m.id] = Math.max(0, prior - complexity * (1 - prior));
    }
    if (kept) byComplexity[k] = { ...quality };
    return quality;
  }
}

/** The first task pattern (in priority order) whose bit is set, else chat: {@link detectTask} from a scan mask. */
function taskOf(mask: number): Task {
  for (let i = 0; i < TASK_PATTERNS.length; i++) if (mask & (1 << i)) return TASK_PATTERNS[i]![0];
  return 'chat';
}

/** Whether the text has one of the "hard" cues (the direct rule, for tests and tools). */
export const hasHardCue = (text: string): boolean => HARD.test(text);

export function detectTask(text: string): Task {
  for (const [task, re] of TASK_PATTERNS) if (re.test(text)) return task;
  return 'chat';
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
