/**
 * A synthetic labelled CSV (offline/learning's format: `prompt`, one 0/1 column per model, one
 * `<model>|total_cost` column per model) of coding and history questions, where each model is right with
 * a probability that depends on the question's kind. Seeded (an LCG): the same rows for the same seed.
 */
export interface DatasetModel {
  name: string;
  /** Chance of a right answer on a coding question, and on a history question. */
  right: { code: number; history: number };
  /** The `total_cost` column's value, as written. */
  cost: string;
}

export function codeHistoryCsv(n: number, seed: number, o: { code: readonly string[]; history: readonly string[]; models: readonly DatasetModel[] }): string {
  let s = seed;
  const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const lines = [`prompt,${o.models.map((m) => m.name).join(',')},${o.models.map((m) => `${m.name}|total_cost`).join(',')}`];
  for (let i = 0; i < n; i++) {
    const code = r() < 0.5;
    const pool = code ? o.code : o.history;
    const base = pool[Math.floor(r() * pool.length)]!;
    const prompt = `${base} (case ${i}, variant ${Math.floor(r() * 1000)})`;
    const rights = o.models.map((m) => (r() < (code ? m.right.code : m.right.history) ? 1 : 0));
    lines.push(`"${prompt}",${rights.join(',')},${o.models.map((m) => m.cost).join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}
