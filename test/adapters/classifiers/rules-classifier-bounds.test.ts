import { describe, expect, it } from 'vitest';
import { detectTask, RULES_SCAN_CHARS, RulesClassifier, scannedText } from '../../../adapters/classifiers/rules-classifier.js';

const classify = (text: string) => new RulesClassifier().classify({ request: { tenant: 't', messages: [{ role: 'user', content: text }] }, text, promptTokens: 10 }, []);

describe('rules classifier on adversarial prompts (issue #14)', () => {
  it('a 1 MiB run of digits is classified at once (the math rule was quadratic: 20,000 digits took 1.9 s)', () => {
    expect(detectTask('7'.repeat(1 << 20))).toBe('chat');
    expect(classify('7'.repeat(1 << 20)).task).toBe('chat');
    // The rule still means what it meant.
    expect(detectTask('what is 12 * 34?')).toBe('math');
    expect(detectTask('2^10')).toBe('math');
    expect(detectTask('7 / 7')).toBe('math');
    expect(detectTask('12 - 34')).toBe('chat');
  });

  it('reads the first 48 Ki and the last 16 Ki characters of a long prompt', () => {
    const doc = 'lorem ipsum '.repeat(20_000);
    expect(scannedText(doc).length).toBe(RULES_SCAN_CHARS + 1);
    expect(classify(`Summarize this: ${doc}`).task).toBe('summarization');
    expect(classify(`${doc}\nNow summarize the above.`).task).toBe('summarization');
    expect(classify(`${doc.slice(0, 100_000)} summarize ${doc.slice(0, 100_000)}`).task).toBe('chat'); // in the unread middle
    expect(scannedText('short')).toBe('short');
  });
});
