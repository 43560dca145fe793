/**
 * Formatting only: every number shown was computed by the server (integer micro-dollars, token
 * counts, ratios). Nothing here adds up cost.
 */
const usd = (digits: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd2 = usd(2);
const usd4 = usd(4);
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const dec1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** Micro-dollars as dollars: cents from $1 up, four decimals below (small per-request costs stay visible). */
export function money(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '—';
  const dollars = micros / 1_000_000;
  return Math.abs(dollars) >= 1 ? usd2.format(dollars) : usd4.format(dollars);
}

/** Axis ticks: dollars with as few decimals as the scale needs (`$4.5`, `$0.05`). */
export function moneyTick(dollars: number): string {
  const digits = dollars === 0 ? 0 : Math.abs(dollars) >= 10 ? 0 : Math.abs(dollars) >= 0.1 ? 2 : 4;
  return `$${dollars.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** A signed money difference: `+$1.2345` / `−$0.5000`. */
export function moneyDelta(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '—';
  if (micros === 0) return '±$0';
  return `${micros > 0 ? '+' : '−'}${money(Math.abs(micros))}`;
}

export function tokens(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return Math.abs(n) >= 100_000 ? `${compact.format(n)} tok` : `${int.format(n)} tok`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : int.format(n);
}

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : dec1.format(n);
}

export function pct(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}

export function signedPct(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return '—';
  return `${ratio > 0 ? '+' : ratio < 0 ? '−' : '±'}${Math.abs(ratio * 100).toFixed(1)}%`;
}

export function bytes(n: number): string {
  return n >= 1_048_576 ? `${(n / 1_048_576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

export function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export type Kind = 'micros' | 'tokens' | 'count' | 'ratio' | 'number';

/** Formats a value by the kind the server tagged it with. */
export function byKind(kind: Kind, v: number | null | undefined): string {
  switch (kind) {
    case 'micros':
      return money(v);
    case 'tokens':
      return tokens(v);
    case 'count':
      return count(v);
    case 'ratio':
      return pct(v);
    default:
      return num(v);
  }
}

/** A signed difference by kind (ratios as percentage points). */
export function deltaByKind(kind: Kind, d: number | null | undefined): string {
  if (d === null || d === undefined) return '—';
  if (kind === 'micros') return moneyDelta(d);
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  if (kind === 'ratio') return `${sign}${Math.abs(d * 100).toFixed(1)} pp`;
  return `${sign}${kind === 'number' ? num(Math.abs(d)) : int.format(Math.abs(d))}`;
}
