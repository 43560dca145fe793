import { describe, expect, it } from 'vitest';
import { LONG_LINE, MAX_CHUNK, PatternScanner } from '../../../adapters/classifiers/pattern-scan.js';
import { detectTask, hasHardCue, RulesClassifier } from '../../../adapters/classifiers/rules-classifier.js';
import { classifierInput, classifierModels, mixedText, seededRandom as prng } from '../../support/classifier-texts.js';

/** The rules as regex literals, as they were before the line-chunk scanner (the reference: same answers on every text). */
const REFERENCE: [string, RegExp][] = [
  ['code', /```|\b(function|class|def|import|compile|refactor|bug|stack ?trace|typescript|python|javascript|sql|regex|unit test)\b/i],
  ['math', /\b(prove|proof|theorem|integral|derivative|equation|solve for|probability|lemma|calculate)\b|[∑∫√]|\d\s*[*/^]\s*\d/i],
  ['summarization', /\b(summari[sz]e|summary|tl;?dr|key points|condense)\b/i],
  ['extraction', /\b(extract|parse|list all|pull out|fill in the json|named entities|as json)\b/i],
  ['retrieval-qa', /\b(according to the (document|context|passage)|based on the (context|document)s?|context:|sources?:)\b/i],
];
const REFERENCE_HARD = /\b(prove|optimi[sz]e|step by step|rigorous|complex|architecture|design a|trade-?offs?|edge cases|multi-step|analy[sz]e)\b/i;
const referenceTask = (t: string) => REFERENCE.find(([, re]) => re.test(t))?.[0] ?? 'chat';

// Near misses and hits at word edges, across newlines, with characters that fold onto ASCII only under `u`.
const PIECES = [
  'Summarize', 'summarise', 'tl;dr', 'TLDR', 'key  points', 'key points', 'context:', 'context: ', 'context:x', 'sources:', 'source:y', 'Sources:z',
  'based on the contexts', 'according to the passage', 'as json', 'As JSON', 'list all', 'fill in the json', 'stack trace', 'stacktrace', 'stack  trace',
  'unit test', 'unit\ntest', 'Function', '_function', 'function_', 'functions', '3function', 'def', 'undef', '```', '``', 'prove', 'Proof', 'ſummarize',
  'K', 'ıntegral', 'İmport', 'multi-step', 'multi step', 'trade-offs', 'tradeoff', 'design a', 'design ab', 'edge cases', 'analyse', '∫', '√2',
  '7', '*', '/', '^', ' ', '\t', '\n', '\n\n', ' \n ', '\r\n', 'x', 'word', 'abc1', '2b', 'é', '日本', '"id":"1042"', '{"row":3,"note":"',
];

const text = (rand: () => number, chars: number): string => mixedText(rand, chars, PIECES, { loremShare: 0.45, longLine: LONG_LINE }); // long lines, a few past LONG_LINE

const models = classifierModels;
const input = classifierInput;

describe('the line-chunk scanner answers exactly as the rule regexes one by one', () => {
  it('seeded texts with long and short lines, edges and case folding: the reference regexes’ task and hard cue', () => {
    const rand = prng(23);
    const shared = new RulesClassifier();
    for (let n = 0; n < 500; n++) {
      const t = text(rand, Math.floor(rand() * 12_000));
      const task = referenceTask(t);
      expect(detectTask(t)).toBe(task);
      expect(hasHardCue(t)).toBe(REFERENCE_HARD.test(t));
      const want = new RulesClassifier().classify(input(t), models);
      expect(want.task).toBe(task);
      const base = 0.45 * Math.min(1, Math.log10(1 + Math.ceil(t.length / 4)) / 4) + (REFERENCE_HARD.test(t) ? 0.35 : 0) + (task === 'math' || task === 'code' ? 0.2 : 0);
      expect(want.complexity).toBe(Math.min(1, Math.round(base * 100) / 100));
      for (let k = 0; k < 2; k++) expect(shared.classify(input(t), models)).toEqual(want); // first scan and cached
    }
  });

  it('an agent history resent each turn with new ids: cached answers equal a fresh scan', () => {
    const rand = prng(5);
    const c = new RulesClassifier();
    const turns: string[] = ['You are an agent.'];
    for (let turn = 0; turn < 40; turn++) {
      turns.push(`tool_${turn % 5}\n{"id":"${Math.floor(rand() * 1e6)}","limit":20}`, `{"rows":[${text(rand, 200 + Math.floor(rand() * 800)).replaceAll('\n', ' ')}]}`);
      const history = turns.join('\n');
      expect(c.classify(input(history), models)).toEqual(new RulesClassifier().classify(input(history), models));
      expect(c.classify(input(history), models).task).toBe(referenceTask(history));
    }
  });

  it('chunks that share a fingerprint are told apart by their text', () => {
    // Same length, same sampled characters (every len/8-th and the last): only characters 1..9 differ.
    const pad = 'x'.repeat(LONG_LINE * 2 - 10);
    const a = `x${'summarize'}${pad}`;
    const b = `x${'aaaaaaaaa'}${pad}`;
    const scanner = new PatternScanner([{ local: '\\bsummarize\\b|xsummarize' }]);
    for (const [t, want] of [[a, 1], [b, 0], [a, 1], [`${b}\n${a}`, 1], [`${a}\n${b}`, 1], [`${b}\n${b}`, 0]] as const) expect(scanner.scan(`${'lorem ipsum\n'.repeat(200)}${t}`)).toBe(want);
  });

  it('a run of short lines with no hash cut is cut at MAX_CHUNK and still found whole', () => {
    const t = `${'ab\n'.repeat(Math.ceil((3 * MAX_CHUNK) / 3))}summarize\n${'ab\n'.repeat(100)}`;
    expect(new RulesClassifier().classify(input(t), models).task).toBe('summarization');
    expect(new RulesClassifier().classify(input(t.replace('summarize', 'summar\nize')), models).task).toBe('chat');
  });

  it('the math rule’s digit-operator-digit run is found across newlines, and only with an operator', () => {
    for (const t of [`${'lorem\n'.repeat(500)}4\n\n  *\n 3`, `${'y'.repeat(3000)}\n7\n/\n7`, `${'z'.repeat(3000)}2^\n10`]) expect(detectTask(t)).toBe('math');
    expect(new RulesClassifier().classify(input(`${'lorem\n'.repeat(500)}4\n\n  *\n 3`), models).task).toBe('math');
    expect(new RulesClassifier().classify(input(`${'lorem\n'.repeat(500)}4\n\n  -\n 3`), models).task).toBe('chat');
  });

  it('refuses a line-local pattern that could match a newline', () => {
    for (const local of ['a\\sb', 'a[^x]b', 'a\\nb', 'a\nb', 'a$', '^a', 'a\\Wb', 'a\\Bb']) expect(() => new PatternScanner([{ local }])).toThrow(RangeError);
    expect(() => new PatternScanner([{ local: '\\b(a b|c;?d)\\b|```|a.b|[∑√]' }])).not.toThrow();
  });
});
