import { describe, expect, it } from 'vitest';
import { detectTask, hasHardCue, RulesClassifier } from '../../../adapters/classifiers/rules-classifier.js';
import { classifierInput, classifierModels, mixedText, seededRandom as prng } from '../../support/classifier-texts.js';

/** The old scanner's chunk size: these texts span several chunks of it and several long-line chunks of the new one. */
const CHUNK_CHARS = 1024;

// Pieces that hit each rule, pieces that hit none, and the math rule's digit-operator-digit split by newlines and spaces.
const PIECES = ['hello there', 'the weather today', 'summarize', 'tl;dr', 'extract', 'as json', 'context:', 'according to the document', 'function', 'refactor', '```', 'prove', 'integral', 'step by step', 'trade-offs', 'analyze', '7', '*', '/', '^', ' ', '   ', '\n', '\n\n', ' \n ', '\t', 'x', 'word', 'abc1', '2b'];

const text = (rand: () => number, chars: number): string => mixedText(rand, chars, PIECES, { loremShare: 0.55 });

const models = classifierModels;
const input = classifierInput;

describe('the rules classifier scans a growing conversation per chunk of lines, with the same answers', () => {
  it('gives exactly the direct scan’s task and complexity on seeded texts, first scan and cached', () => {
    const rand = prng(7);
    const fresh = () => new RulesClassifier();
    const shared = new RulesClassifier();
    let crossings = 0;
    for (let n = 0; n < 400; n++) {
      const t = text(rand, Math.floor(rand() * 6 * CHUNK_CHARS));
      const want = new RulesClassifier().classify(input(t), models); // a new instance: nothing cached
      // The direct rules, without the scanner: the task regexes in order and the hard cue.
      expect(want.task).toBe(detectTask(t));
      const tokens = Math.ceil(t.length / 4);
      const base = 0.45 * Math.min(1, Math.log10(1 + tokens) / 4) + (hasHardCue(t) ? 0.35 : 0) + (want.task === 'math' || want.task === 'code' ? 0.2 : 0);
      expect(want.complexity).toBe(Math.min(1, Math.round(base * 100) / 100)); // the direct hard cue
      for (const c of [fresh(), shared, shared]) expect(c.classify(input(t), models)).toEqual(want);
      if (/\d\s*\n\s*[*/^]|[*/^]\s*\n\s*\d/.test(t)) crossings++;
    }
    expect(crossings).toBeGreaterThan(10); // the seeded texts do put the math rule across newlines
  });

  it('an agent loop: each turn appends to the history and is classified as the whole text would be', () => {
    const rand = prng(11);
    const c = new RulesClassifier();
    let history = 'You are a helpful agent.\n';
    for (let turn = 0; turn < 30; turn++) {
      history += `${text(rand, 400 + Math.floor(rand() * 1500))}\n`;
      expect(c.classify(input(history), models)).toEqual(new RulesClassifier().classify(input(history), models));
      expect(c.classify(input(history), models).task).toBe(detectTask(history));
    }
  });

  it('a match through several cuts (a chunk that is all whitespace) is still found', () => {
    const t = `${'lorem '.repeat(300)}4${' '.repeat(3 * CHUNK_CHARS)}\n${' '.repeat(CHUNK_CHARS + 10)}\n  * 3 end`;
    expect(detectTask(t)).toBe('math');
    expect(new RulesClassifier().classify(input(t), models).task).toBe('math');
    const split = `${'lorem '.repeat(300)}4 *\n${'x'.repeat(CHUNK_CHARS)}\n3`;
    expect(new RulesClassifier().classify(input(split), models).task).toBe(detectTask(split));
  });
});
