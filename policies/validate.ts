import { PolicyError, toFieldIssues, type FieldIssue } from './errors.js';
import { policySchema, type Policy } from './schema.js';

/**
 * Validates a raw policy object: the zod schema first, then cross-field checks
 * (duplicate model ids, references to undeclared models, cycles in fallback chains).
 * Throws one {@link PolicyError} listing every failing field path.
 */
export function validatePolicy(raw: unknown, file?: string): Policy {
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) throw new PolicyError(file, toFieldIssues(parsed.error.issues));
  const issues = crossFieldIssues(parsed.data);
  if (issues.length > 0) throw new PolicyError(file, issues);
  return parsed.data;
}

function crossFieldIssues(policy: Policy): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const ids = new Set<string>();
  policy.models.forEach((m, i) => {
    if (ids.has(m.id)) issues.push({ path: `models[${i}].id`, message: `duplicate model id "${m.id}"` });
    ids.add(m.id);
    if (m.adapter !== 'simulated' && !m.endpoint) issues.push({ path: `models[${i}].endpoint`, message: `required for adapter "${m.adapter}"` });
    if (m.tier !== 'vendor' && !m.infra && !m.prices)
      issues.push({ path: `models[${i}].infra`, message: `a ${m.tier} model needs infra (GPU $/hour, tokens/s) or explicit prices` });
  });
  const known = (id: string) => ids.has(id);
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
