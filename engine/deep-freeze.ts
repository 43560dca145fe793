/**
 * Freezes `value` and everything it holds (iteratively: a request body may nest thousands deep). A value
 * already frozen is taken as frozen through. Returns `value`.
 */
export function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  for (let v = pending.pop(); v !== undefined || pending.length > 0; v = pending.pop()) {
    if (v === null || typeof v !== 'object' || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const k of Object.keys(v)) pending.push((v as Record<string, unknown>)[k]);
  }
  return value;
}
