/**
 * A fast exact check of the common case: true only for a record that `decisionRecordSchema` accepts
 * unchanged (all fields present in their final form, no unknown keys, no defaults to fill). Anything
 * else returns false and the caller asks zod, which stays the authority (and the error messages). The
 * sink calls this per record on the request path, where zod's parse cost 7-30x a JSON.stringify.
 * `test/adapters/postgres/record-check.test.ts` keeps the key lists equal to the schema's.
 */
export const RECORD_KEYS = [
  'v', 'time', 'requestId', 'tenant', 'tags', 'policy', 'rule', 'classification', 'candidates', 'chosen', 'model', 'tier', 'fallbacks',
  'attempts', 'tokens', 'predictedCostMicros', 'cost', 'gpuSeconds', 'cache', 'quality', 'latencyMs', 'outcome', 'error', 'actions', 'feedback', 'operation', 'serviceTier',
] as const;
export const CANDIDATE_KEYS = ['model', 'tier', 'predictedCostMicros', 'predictedQuality', 'eligible', 'reason'] as const;

const KNOWN = new Set<string>(RECORD_KEYS);
const CANDIDATE = new Set<string>(CANDIDATE_KEYS);
const TOKEN_SOURCES = new Set(['vendor', 'tokenizer', 'estimate']);
const OUTCOMES = new Set(['ok', 'error', 'refused']);

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): boolean => typeof x === 'string';
const optStr = (x: unknown): boolean => x === undefined || typeof x === 'string';
const num = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
const count = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const optCount = (x: unknown): boolean => x === undefined || count(x);
const only = (o: Obj, keys: ReadonlySet<string>): boolean => {
  for (const k in o) if (!keys.has(k)) return false;
  return true;
};
/** Key sets of the nested objects, built once (not per record: the check runs on the request path). */
export const NESTED_KEYS = {
  policy: new Set(['name', 'version']),
  classification: new Set(['task', 'complexity', 'predictedOutputTokens', 'source']),
  fallback: new Set(['model', 'code']),
  tokens: new Set(['input', 'output', 'cached', 'source', 'cacheWrite', 'cacheWrite1h', 'reasoning', 'precountDelta']),
  cost: new Set(['vendor', 'infra', 'ops', 'full', 'parts']),
  parts: new Set(['input', 'cachedInput', 'cacheWrite', 'output']),
  cache: new Set(['hit', 'match', 'savedMicros']),
  error: new Set(['code', 'message']),
};
const KEYS = NESTED_KEYS;
const exactly = (o: unknown, keys: ReadonlySet<string>, test: (o: Obj) => boolean): boolean => isObj(o) && only(o, keys) && test(o);

export function isPlainValidRecord(r: unknown): boolean {
  if (!isObj(r) || !only(r, KNOWN)) return false;
  if (r.v !== 1 || !str(r.time) || !str(r.requestId) || !str(r.tenant)) return false;
  if (!Array.isArray(r.tags) || !r.tags.every(str)) return false;
  if (!exactly(r.policy, KEYS.policy, (p) => str(p.name) && str(p.version))) return false;
  if (!optStr(r.rule) || !optStr(r.chosen) || !optStr(r.model) || !optStr(r.tier)) return false;
  if (r.classification !== undefined && !exactly(r.classification, KEYS.classification, (c) => str(c.task) && num(c.complexity) && count(c.predictedOutputTokens) && str(c.source))) return false;
  if (!Array.isArray(r.candidates)) return false;
  for (const c of r.candidates) {
    if (!isObj(c) || !only(c, CANDIDATE) || !str(c.model) || !str(c.tier) || !count(c.predictedCostMicros) || !num(c.predictedQuality) || typeof c.eligible !== 'boolean' || !optStr(c.reason)) return false;
  }
  if (!Array.isArray(r.fallbacks) || !r.fallbacks.every((f) => exactly(f, KEYS.fallback, (x) => str(x.model) && str(x.code)))) return false;
  if (!count(r.attempts) || !count(r.predictedCostMicros)) return false;
  if (!exactly(r.tokens, KEYS.tokens, (t) => count(t.input) && count(t.output) && count(t.cached) && TOKEN_SOURCES.has(t.source as string) && optCount(t.cacheWrite) && optCount(t.cacheWrite1h) && optCount(t.reasoning) && (t.precountDelta === undefined || Number.isSafeInteger(t.precountDelta)))) return false;
  if (!exactly(r.cost, KEYS.cost, (c) => count(c.vendor) && count(c.infra) && count(c.ops) && count(c.full) && (c.parts === undefined || exactly(c.parts, KEYS.parts, (p) => count(p.input) && count(p.cachedInput) && count(p.cacheWrite) && count(p.output))))) return false;
  if (!optStr(r.serviceTier)) return false;
  if (r.cache !== undefined && !exactly(r.cache, KEYS.cache, (c) => typeof c.hit === 'boolean' && (c.match === undefined || c.match === 'exact' || c.match === 'semantic') && count(c.savedMicros))) return false;
  if (r.gpuSeconds !== undefined && !(num(r.gpuSeconds) && (r.gpuSeconds as number) >= 0)) return false;
  if (r.quality !== undefined && !num(r.quality)) return false;
  if (!num(r.latencyMs) || (r.latencyMs as number) < 0) return false;
  if (!OUTCOMES.has(r.outcome as string)) return false;
  if (r.error !== undefined && !exactly(r.error, KEYS.error, (e) => str(e.code) && str(e.message))) return false;
  if (r.actions !== undefined && !(Array.isArray(r.actions) && r.actions.every(str))) return false;
  if (r.operation !== undefined && r.operation !== 'chat' && r.operation !== 'embeddings') return false;
  if (r.feedback !== undefined && !(num(r.feedback) && (r.feedback as number) >= 0 && (r.feedback as number) <= 1)) return false;
  return true;
}
