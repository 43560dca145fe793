/**
 * Builds a Hugging Face `tokenizer.json` (Unigram model) that reproduces the Universal Sentence
 * Encoder lite SentencePiece tokenisation: NFKC, prepend "▁", spaces → "▁", Viterbi over piece scores.
 * The teacher never matches its 6 reserved pieces (ids 0–5) inside text, so they get names text cannot
 * produce after NFKC (a private-use prefix) — id 0 stays the unknown piece.
 */
export type SentencePieceVocab = Array<[string, number]>;

const RESERVED_COUNT = 6;
const RESERVED_PREFIX = '\uE000';

export function buildUnigramTokenizerJson(vocab: SentencePieceVocab): Record<string, unknown> {
  const pieces = vocab.map(([piece, score], id): [string, number] =>
    id < RESERVED_COUNT ? [`${RESERVED_PREFIX}${id === 0 ? '<unk>' : piece}`, 0] : [piece, score],
  );
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 0, content: pieces[0][0], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKC' }, { type: 'Prepend', prepend: '▁' }],
    },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: false },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
  };
}
