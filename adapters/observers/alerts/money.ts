import { formatUsd } from '../../../engine/money.js';

/** Micro-dollars as dollars for a human: `$12.35`, `$0.16`, `$0.0161`. */
export function dollars(micros: number): string {
  return formatUsd(Math.round(micros), Math.abs(micros) >= 100_000 ? 2 : 4);
}
