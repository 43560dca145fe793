import { ValidationError } from '../errors.js';

const ISO_DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]|$)/;

/**
 * Parses an ISO 8601 date-time string (`2024-06-03T09:30:00Z`, `2024-06-03T09:30:00.123+02:00`,
 * `2024-06-03`) to epoch milliseconds; returns `undefined` when it is not one. A string without
 * an offset is read as UTC, so a trace means the same instant on every machine.
 */
export function parseIsoTimestamp(text: string): number | undefined {
  const date = ISO_DATE_PREFIX.exec(text);
  if (!date) return undefined;
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const hasTime = /[T ]\d{2}:\d{2}/.test(text);
  const ms = Date.parse(hasTime && !hasZone ? `${text.replace(' ', 'T')}Z` : text);
  return Number.isFinite(ms) ? ms : undefined;
}

const AZURE_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/**
 * Parses the Azure trace's `TIMESTAMP` (`2023-11-16 18:15:46.6805900`, read as UTC) to epoch
 * milliseconds, truncating sub-millisecond digits; `undefined` when malformed or out of range.
 */
export function parseAzureTimestamp(text: string): number | undefined {
  const m = AZURE_TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Number(((m[7] ?? '') + '000').slice(0, 3));
  const at = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(at);
  const valid = d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  return valid ? at : undefined;
}

/** Resolves a `start` option (epoch ms or ISO 8601) to epoch ms, or throws a `ValidationError`. */
export function resolveStartOption(start: number | string | undefined, fallback: string): number {
  const value = start ?? fallback;
  const ms = typeof value === 'number' ? value : parseIsoTimestamp(value);
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new ValidationError('trace options', [{ path: 'start', message: `"${String(value)}" is not epoch ms or an ISO 8601 date-time` }]);
  }
  return ms;
}
