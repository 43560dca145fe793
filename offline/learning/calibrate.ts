/**
 * Calibration targets for `tollgate tune` and the choice of operating point that meets one. Pure.
 * - `strong-share=x`: the point whose share of strong-model calls is closest to x (ties: cheaper).
 * - `quality=q`: the cheapest point whose quality reaches q × the all-strong quality (ties: better).
 * - `max-cost-per-1m=N`: the best-quality point whose blended cost is ≤ N US dollars per 1M tokens
 *   (prompt + predicted output tokens; ties: cheaper).
 */
import { TuneTargetError } from './errors.js';
import type { CurvePoint } from './metrics.js';

export type TuneTarget = { kind: 'strong-share'; value: number } | { kind: 'quality'; value: number } | { kind: 'max-cost-per-1m'; value: number };

export type TunePoint = CurvePoint & { tokens: number };

/** Parses `strong-share=0.3`, `quality=0.95` or `max-cost-per-1m=2.5`; throws {@link TuneTargetError} otherwise. */
export function parseTarget(text: string): TuneTarget {
  const m = /^\s*(strong-share|quality|max-cost-per-1m)\s*=\s*([0-9.eE+-]+)\s*$/.exec(text);
  const value = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isFinite(value)) throw new TuneTargetError('tune_target_invalid', `--target must be strong-share=X, quality=X or max-cost-per-1m=USD (got "${text}")`);
  const kind = m[1] as TuneTarget['kind'];
  if ((kind === 'strong-share' || kind === 'quality') && (value < 0 || value > 1)) throw new TuneTargetError('tune_target_invalid', `${kind} must be in [0, 1] (got ${value})`);
  if (kind === 'max-cost-per-1m' && value < 0) throw new TuneTargetError('tune_target_invalid', `max-cost-per-1m must be ≥ 0 (got ${value})`);
  return { kind, value };
}

/** Blended US dollars per 1M tokens of a point (micro-dollars per token is the same number). */
export const usdPer1MTokens = (p: TunePoint): number => (p.tokens > 0 ? p.cost / p.tokens : 0);

/** The point that meets `target`; throws `tune_target_unreachable` when none does. */
export function choosePoint(points: readonly TunePoint[], target: TuneTarget, allStrong: TunePoint): TunePoint {
  let best: TunePoint | undefined;
  if (target.kind === 'strong-share') {
    for (const p of points) {
      const d = Math.abs(p.strongShare - target.value);
      const bd = best ? Math.abs(best.strongShare - target.value) : Number.POSITIVE_INFINITY;
      if (d < bd - 1e-12 || (Math.abs(d - bd) <= 1e-12 && p.cost < best!.cost)) best = p;
    }
  } else if (target.kind === 'quality') {
    const need = target.value * allStrong.quality;
    for (const p of points) if (p.quality >= need - 1e-12 && (!best || p.cost < best.cost || (p.cost === best.cost && p.quality > best.quality))) best = p;
    if (!best) throw new TuneTargetError('tune_target_unreachable', `no threshold reaches quality ${need.toFixed(4)} (${target.value} × all-strong ${allStrong.quality.toFixed(4)})`);
  } else {
    for (const p of points) if (usdPer1MTokens(p) <= target.value + 1e-12 && (!best || p.quality > best.quality || (p.quality === best.quality && p.cost < best.cost))) best = p;
    if (!best) throw new TuneTargetError('tune_target_unreachable', `no threshold costs ≤ $${target.value} per 1M tokens (cheapest: $${Math.min(...points.map(usdPer1MTokens)).toFixed(3)})`);
  }
  if (!best) throw new TuneTargetError('tune_target_unreachable', 'nothing to replay');
  return best;
}
