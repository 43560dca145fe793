import { PolicyError, toFieldIssues, type FieldIssue } from './errors.js';
import { policySchema, type Policy } from './schema.js';

/**
 * Validates a raw policy object: the zod schema first, then cross-field checks
 * (duplicate model ids, references to undeclared models, cycles in fallback chains).
 * Throws one {@link PolicyError} listing every failing field path.
 */
export function validatePolicy(raw: unknown, file?: string): Policy {
  const reserved = reservedKeyIssues(raw);
  if (reserved.length > 0) throw new PolicyError(file, reserved);
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) throw new PolicyError(file, toFieldIssues(parsed.error.issues));
  const issues = crossFieldIssues(parsed.data);
  if (issues.length > 0) throw new PolicyError(file, issues);
  return withPlainRecords(parsed.data);
}

/**
 * Every issue of a raw policy at once, for `tollgate validate`: reserved names, the schema, and the
 * cross-field checks (references, fallback cycles) — run on what is there even when the schema fails
 * elsewhere, so one run lists them all. Empty when {@link validatePolicy} would accept it.
 */
export function policyIssues(raw: unknown): FieldIssue[] {
  const issues = reservedKeyIssues(raw);
  const parsed = policySchema.safeParse(raw);
  if (parsed.success) return [...issues, ...crossFieldIssues(parsed.data)];
  issues.push(...toFieldIssues(parsed.error.issues));
  const r = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const tolerant = {
    models: list(r.models).filter((m): m is { id: string } => typeof (m as { id?: unknown })?.id === 'string').map((m) => ({ adapter: 'simulated', tier: 'vendor', ...m })),
    rules: list(r.rules).map((x) => ({ models: list((x as { models?: unknown })?.models).filter((id) => typeof id === 'string') })),
    fallbacks: Object.fromEntries(Object.entries(record(r.fallbacks)).map(([k, v]) => [k, list(v).filter((id) => typeof id === 'string')])),
    modelLimits: record(r.modelLimits),
    tenants: {},
  } as unknown as Policy;
  const seen = new Set(issues.map((i) => `${i.path}\0${i.message}`));
  for (const i of crossFieldIssues(tolerant)) if (!seen.has(`${i.path}\0${i.message}`) && !/endpoint|infra/.test(i.path)) issues.push(i);
  return issues;
}

/** The policy's maps keyed by names (tenants, models): `__proto__` there would be dropped by any parser's object. */
const NAME_RECORDS = ['tenants', 'fallbacks', 'modelLimits'] as const;

/**
 * `__proto__` cannot name a tenant or model: a plain object silently drops it (it was dropped from
 * policies without a word). Refused with a field issue instead. Other prototype names (`constructor`,
 * `toString`) are ordinary names: the records are rebuilt without a prototype ({@link withPlainRecords}).
 */
function reservedKeyIssues(raw: unknown): FieldIssue[] {
  if (!raw || typeof raw !== 'object') return [];
  const issues: FieldIssue[] = [];
  for (const field of NAME_RECORDS) {
    const rec = (raw as Record<string, unknown>)[field];
    if (rec && typeof rec === 'object' && Object.prototype.hasOwnProperty.call(rec, '__proto__')) {
      issues.push({ path: `${field}.__proto__`, message: '"__proto__" is reserved and cannot be used as a name' });
    }
  }
  return issues;
}

/**
 * Name-keyed records without a prototype, so that a lookup by a client-supplied name (`tenants[t]`)
 * finds only what the policy declares: `tenants.constructor` is undefined, not Object's constructor.
 */
function withPlainRecords(policy: Policy): Policy {
  for (const field of NAME_RECORDS) (policy as Record<string, unknown>)[field] = Object.assign(Object.create(null), policy[field]);
  return policy;
}

function crossFieldIssues(policy: Policy): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const ids = new Set<string>();
  policy.models.forEach((m, i) => {
    if (ids.has(m.id)) issues.push({ path: `models[${i}].id`, message: `duplicate model id "${m.id}"` });
    ids.add(m.id);
    if (m.adapter !== 'simulated' && m.adapter !== 'local-onnx' && !m.endpoint) issues.push({ path: `models[${i}].endpoint`, message: `required for adapter "${m.adapter}"` });
    if (m.adapter === 'local-onnx' && m.operation !== 'embeddings') issues.push({ path: `models[${i}].operation`, message: 'adapter "local-onnx" serves embeddings only: declare operation: embeddings' });
    if (m.onnx && m.adapter !== 'local-onnx') issues.push({ path: `models[${i}].onnx`, message: 'only for adapter "local-onnx"' });
    if (m.tier !== 'vendor' && !m.infra && !m.capacity && !m.prices)
      issues.push({ path: `models[${i}].infra`, message: `a ${m.tier} model needs capacity, infra (GPU $/hour, tokens/s) or explicit prices` });
    if (m.infra && m.capacity) issues.push({ path: `models[${i}].capacity`, message: 'give capacity or infra, not both (infra is a one-point capacity curve)' });
  });
  const known = (id: string) => ids.has(id);
  policy.rules.forEach((r, i) => {
    if (r.defer && r.action !== 'defer') issues.push({ path: `rules[${i}].defer`, message: 'only with action: defer' });
  });
  policy.rules.forEach((r, i) =>
    r.models?.forEach((id, j) => {
      if (!known(id)) issues.push({ path: `rules[${i}].models[${j}]`, message: `unknown model "${id}"` });
    }),
  );
  for (const [from, chain] of Object.entries(policy.fallbacks)) {
    if (!known(from)) issues.push({ path: `fallbacks.${from}`, message: `unknown model "${from}"` });
    chain.forEach((id, j) => {
      if (!known(id)) issues.push({ path: `fallbacks.${from}[${j}]`, message: `fallback names missing model "${id}"` });
    });
  }
  const cycle = findFallbackCycle(policy.fallbacks);
  if (cycle) issues.push({ path: `fallbacks.${cycle[0]}`, message: `fallback cycle: ${cycle.join(' -> ')}` });
  for (const id of Object.keys(policy.modelLimits)) {
    if (!known(id)) issues.push({ path: `modelLimits.${id}`, message: `unknown model "${id}"` });
  }
  Object.entries(policy.tenants).forEach(([tenant, t]) =>
    t.actions.forEach((a, i) => {
      if (a.action === 'downgrade' && !a.toTier) issues.push({ path: `tenants.${tenant}.actions[${i}].toTier`, message: 'required for downgrade' });
    }),
  );
  return issues;
}

/** Returns the first cycle in the fallback graph (as a path that repeats its first node), or undefined. */
export function findFallbackCycle(fallbacks: Record<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const s = state.get(node);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of fallbacks[node] ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of Object.keys(fallbacks)) {
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}
