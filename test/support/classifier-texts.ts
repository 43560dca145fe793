import type { ClassifierInput } from '../../engine/seams/classifier.js';
import { Prng } from '../../offline/trace/prng.js';
import { resolvePolicy } from '../../policies/loader.js';

/** A seeded uniform [0, 1) source for generated classifier texts (the trace tools' mulberry32). */
export function seededRandom(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}

/** `chars` or more characters of lorem-ipsum runs and `pieces` (and, given `longLine`, lines of `x` up to twice that long). */
export function mixedText(rand: () => number, chars: number, pieces: readonly string[], o: { loremShare: number; longLine?: number }): string {
  let s = '';
  while (s.length < chars) {
    const r = rand();
    if (r < o.loremShare) s += 'lorem ipsum dolor sit amet '.slice(0, 1 + Math.floor(rand() * 26));
    else if (o.longLine !== undefined && r < o.loremShare + 0.05) s += 'x'.repeat(Math.floor(rand() * 2 * o.longLine));
    else s += pieces[Math.floor(rand() * pieces.length)]!;
  }
  return s;
}

/** One vendor model, for classify calls. */
export const classifierModels = resolvePolicy({ name: 'p', models: [{ id: 'm', tier: 'vendor', adapter: 'simulated', contextWindow: 128000, quality: 0.8, prices: { inputPerM: 1, outputPerM: 2 } }], rules: [] }).policy.models;

/** A classifier input for a one-message prompt `t`. */
export const classifierInput = (t: string): ClassifierInput => ({ request: { messages: [{ role: 'user' as const, content: t }] } as never, text: t, promptTokens: Math.ceil(t.length / 4) });
