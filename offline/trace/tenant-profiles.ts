import type { TraceTask } from './schema.js';

/** A synthetic tenant: how much traffic it sends and what kind. */
export interface TenantProfile {
  name: string;
  /** Relative share of traffic (any positive number). */
  weight: number;
  /** Relative weight of each task in this tenant's traffic. */
  tasks: Partial<Record<TraceTask, number>>;
  /** Feature tags; each request carries one, e.g. `feature:support-bot`. */
  features: string[];
  /** System prompt sent with about half of this tenant's requests. */
  systemPrompt: string;
}

/** The built-in tenants, from the heaviest sender down; `tenants: n` takes the first n. */
export const DEFAULT_TENANTS: readonly TenantProfile[] = [
  {
    name: 'acme-dev',
    weight: 3,
    tasks: { code: 0.7, chat: 0.1, extraction: 0.1, math: 0.1 },
    features: ['feature:ide-assist', 'feature:code-review'],
    systemPrompt: 'You are a senior software engineer. Answer with working code.',
  },
  {
    name: 'helpdesk',
    weight: 3,
    tasks: { chat: 0.45, 'retrieval-qa': 0.4, summarization: 0.1, other: 0.05 },
    features: ['feature:support-bot', 'feature:agent-assist'],
    systemPrompt: 'You are a friendly support agent for a SaaS product.',
  },
  {
    name: 'finance-ops',
    weight: 2,
    tasks: { extraction: 0.5, summarization: 0.3, math: 0.1, 'retrieval-qa': 0.1 },
    features: ['feature:invoice-parser', 'feature:report-digest'],
    systemPrompt: 'You process finance documents. Be exact with numbers.',
  },
  {
    name: 'research',
    weight: 1.5,
    tasks: { math: 0.45, summarization: 0.25, code: 0.15, 'retrieval-qa': 0.15 },
    features: ['feature:notebook'],
    systemPrompt: 'You are a careful research assistant. Show your reasoning.',
  },
  {
    name: 'marketing',
    weight: 1.5,
    tasks: { other: 0.5, chat: 0.3, summarization: 0.2 },
    features: ['feature:copy-assist', 'feature:translation'],
    systemPrompt: 'You write clear, upbeat marketing copy.',
  },
  {
    name: 'legal',
    weight: 1,
    tasks: { summarization: 0.4, extraction: 0.35, 'retrieval-qa': 0.25 },
    features: ['feature:contract-review'],
    systemPrompt: 'You assist a legal team. Quote the source text.',
  },
];

/** The first `count` built-in tenants; past six, the list repeats with a `-2`, `-3`, … suffix. */
export function defaultTenants(count: number): TenantProfile[] {
  return Array.from({ length: count }, (_, i) => {
    const base = DEFAULT_TENANTS[i % DEFAULT_TENANTS.length]!;
    const round = Math.floor(i / DEFAULT_TENANTS.length);
    return round === 0 ? base : { ...base, name: `${base.name}-${round + 1}` };
  });
}
