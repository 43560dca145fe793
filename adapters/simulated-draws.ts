/**
 * The simulated models' deterministic draws, shared by {@link SimulatedAdapter} and the simulator's
 * fast replay (offline/simulation/fast-replay.ts) so that both produce the same answer for the same
 * (seed, model, request id).
 *
 * Four uniforms in [0, 1) come from a 32-bit FNV-1a hash of `${seed}\0${modelId}\0${requestId}`
 * (UTF-16 code units) fed as the state of four mulberry32 steps. About 50× cheaper than SHA-256 and
 * well mixed (mulberry32 avalanches the hash); not cryptographic, which a simulation does not need.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Continues a 32-bit FNV-1a hash over the UTF-16 code units of `s`. */
export function fnv1a(state: number, s: string): number {
  let h = state;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** The hash state after `${seed}\0${modelId}\0`: compute once per model, then {@link drawUniforms} per request. */
export function drawPrefix(seed: number, modelId: string): number {
  return fnv1a(FNV_OFFSET, `${seed}\0${modelId}\0`);
}

/** Writes the four uniforms of (prefix, request id) into `out` (reused by hot loops) and returns it. */
export function drawUniforms(prefix: number, requestId: string, out: number[] = [0, 0, 0, 0]): number[] {
  let a = fnv1a(prefix, requestId);
  for (let k = 0; k < 4; k++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[k] = ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  return out;
}

/** Simulation hints a request may carry (a trace's known counts and labels). */
export interface DrawHints {
  outputTokens?: number;
  labels?: Record<string, number>;
}

/**
 * Output tokens of a simulated answer: the trace's actual count when known, else a log-normal draw
 * (median 200) from `u[0]`, `u[1]`; capped at `maxOutputTokens`.
 */
export function drawOutputTokens(u: readonly number[], hint: DrawHints | undefined, maxOutputTokens: number): number {
  return Math.min(hint?.outputTokens ?? Math.round(200 * Math.exp(0.8 * gaussian(u[0]!, u[1]!))), maxOutputTokens);
}

/** Quality of a simulated answer: the trace's label for the model, else 1 with probability `modelQuality` (from `u[3]`). */
export function drawQuality(u: readonly number[], hint: DrawHints | undefined, modelId: string, modelQuality: number): number {
  return hint?.labels?.[modelId] ?? (u[3]! < modelQuality ? 1 : 0);
}

function gaussian(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}
