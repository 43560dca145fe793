import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { defaultModelDir } from '../../embeddings/default-model.js';
import { installFastUnigram } from '../../embeddings/fast-unigram.js';
import { readModelDirectory } from '../../embeddings/model-directory.js';
import { readLabeledCsv } from '../../offline/learning/labeled-csv.js';

const FIX = join(import.meta.dirname, '../fixtures');
const tokenizerJson = () => JSON.parse(readFileSync(join(defaultModelDir(), 'tokenizer.json'), 'utf8')) as object;

/** Texts of many shapes: MMLU prompts, the tokenizer test vectors (code, scripts, emoji), and edge cases. */
function corpus(): string[] {
  const texts: string[] = [];
  for (const f of ['mmlu_train_sample.csv', 'mmlu_eval_sample.csv']) texts.push(...readLabeledCsv(join(FIX, 'routing', f)).rows.map((r) => r.prompt));
  const vectors = JSON.parse(readFileSync(join(FIX, 'tokenizer', 'token_count_vectors.json'), 'utf8')) as { text: string }[];
  texts.push(...vectors.map((v) => v.text));
  texts.push('', ' ', '   ', '\n\n', '▁', '▁▁x', '\ue000<unk>', 'x\ue000<unk>y', '<s></s>', 'ǅ ﬁ ① Ⅻ ｶ', '\u0000\u0007', 'a'.repeat(3000), '🙂'.repeat(50));
  texts.push(texts.slice(0, 40).join(' ')); // a long prompt
  return texts;
}

describe('fast Unigram Viterbi', () => {
  it('gives the library\'s token ids, to the id, on every text of the corpus', () => {
    const reference = new Tokenizer(tokenizerJson(), {});
    const fast = new Tokenizer(tokenizerJson(), {});
    expect(installFastUnigram(fast)).toBe(true);
    const texts = corpus();
    expect(texts.length).toBeGreaterThan(800);
    for (const text of texts) {
      for (const add_special_tokens of [false, true]) {
        expect(fast.encode(text, { add_special_tokens }).ids, JSON.stringify(text.slice(0, 60))).toEqual(reference.encode(text, { add_special_tokens }).ids);
      }
    }
  });

  it('the default embedder uses it; a tokenizer without a Unigram model is left alone', async () => {
    expect((await readModelDirectory(defaultModelDir())).fastTokenizer).toBe(true);
    const wordLevel = new Tokenizer({ version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null, model: { type: 'WordLevel', vocab: { a: 0, '[UNK]': 1 }, unk_token: '[UNK]' } }, {});
    const before = wordLevel.encode('a b a').ids;
    expect(installFastUnigram(wordLevel)).toBe(false);
    expect(wordLevel.encode('a b a').ids).toEqual(before);
  });
});
