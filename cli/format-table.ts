import { PolicyError } from '../index.js';
import { CliUsageError } from './io.js';

/** Micro-dollars as dollars: `$1,234.56` from $100 up, four decimals below (so cheap tiers don't show as $0.00). */
export function usd(micros: number): string {
  const v = micros / 1_000_000;
  const decimals = Math.abs(v) >= 100 ? 2 : 4;
  const s = Math.abs(v).toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return `${v < 0 ? '-' : ''}$${s}`;
}

/** An integer with thousands separators: `1,234,567`. */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A fraction as a percentage with one decimal: `12.3%`. */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Renders rows as an aligned text table: the first column left-aligned, the others right-aligned.
 * A row of a single string is a section heading.
 */
export function renderTable(header: string[], rows: (string[] | string)[]): string {
  const cells = rows.filter((r): r is string[] => Array.isArray(r));
  const width = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ').trimEnd();
  const out = [line(header), width.map((w) => '─'.repeat(w)).join('  ')];
  for (const r of rows) out.push(Array.isArray(r) ? line(r) : r);
  return `${out.join('\n')}\n`;
}

/** A policy error as one line with every failing field path. */
export function policyErrorLine(err: PolicyError): CliUsageError {
  const issues = err.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
  return new CliUsageError(`invalid policy ${err.file ?? '<inline>'}: ${issues}`, 1);
}

/** Runs `fn`, turning a {@link PolicyError} into a one-line usage error. */
export async function withPolicyErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PolicyError) throw policyErrorLine(err);
    throw err;
  }
}
