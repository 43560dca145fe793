/**
 * Money is integer micro-dollars (1 USD = 1,000,000 µ$). Prices are integer micro-dollars per
 * 1M tokens, so a price of $0.075/1M is 75,000 µ$/1M exactly. Floats only ever appear at the edges
 * (parsing a policy, formatting a report), never in accumulation.
 */
export type Micros = number & { readonly __brand: 'Micros' };

export const MICROS_PER_USD = 1_000_000;

/** Converts a dollar amount from configuration to integer micro-dollars (half away from zero). */
export function usdToMicros(usd: number): Micros {
  return Math.round(usd * MICROS_PER_USD) as Micros;
}

export function microsToUsd(m: number): number {
  return m / MICROS_PER_USD;
}

/** Sums integer micro amounts; throws if a non-integer sneaks in. */
export function addMicros(...values: number[]): Micros {
  let total = 0;
  for (const v of values) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`not an integer micro amount: ${v}`);
    total += v;
  }
  return total as Micros;
}

/** `tokens × pricePerMillion / 1e6`, rounded half-up to a whole micro-dollar. */
export function tokensCost(tokens: number, microsPerMillion: number): Micros {
  if (tokens === 0 || microsPerMillion === 0) return 0 as Micros;
  return Math.round((tokens * microsPerMillion) / 1_000_000) as Micros;
}

/** Formats micro-dollars as `$1,234.567890`-style text with the given number of decimals. */
export function formatUsd(m: number, decimals = 4): string {
  const usd = m / MICROS_PER_USD;
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })}`;
}
