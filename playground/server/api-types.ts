/**
 * The playground API's response shapes (money in integer micro-dollars): the contract the browser client
 * (playground/web, type-only import) reads. It imports only server modules free of Node APIs (the day and
 * executive views: their types are the contract itself), so the web tsconfig (no node types) checks it; for
 * the shapes written out here, playground/server/api-types-check.ts makes the root type-check fail when a
 * server view stops fitting them.
 */
import type { DaySpend } from './views/daily.js';
import type { ExecutiveView } from './views/executive.js';
export type { DaySpend, ExecutiveView };

export interface FieldIssue {
  path: string;
  message: string;
}

export interface ExamplePolicy {
  name: string;
  format: 'yaml' | 'json';
  text: string;
}

export type Validation = { ok: true; name: string; version: string; models: number; rules: number } | { ok: false; issues: FieldIssue[] };

export interface TraceSummary {
  id: string;
  name: string;
  source: 'bundled' | 'upload' | 'generated';
  format: string;
  requests: number;
  skipped: number;
  issues: { line: number; reason: string }[];
  bytes: number;
}

export interface TimelinePoint {
  start: number;
  requests: number;
  fullCostMicros: number;
  vendorCostMicros: number;
  tokensPerRequest: number;
}

export interface PolicySimulation {
  name: string;
  version: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  fullCostMicros: number;
  vendorCostMicros: number;
  infraCostMicros: number;
  opsCostMicros: number;
  fullPerMillionMicros: number;
  vendorPerMillionMicros: number;
  byModel: Record<string, { requests: number; inputTokens: number; outputTokens: number; fullCostMicros: number; vendorCostMicros: number; share: number }>;
  byTier: Record<string, { requests: number; share: number; fullCostMicros: number }>;
  refused: { budget: number; rateLimit: number; other: number };
  errors: number;
  quality: { predictedMean: number; observedMean?: number };
  cacheHitRatio: number;
  timeline: TimelinePoint[];
}

export interface CompareRow {
  key: string;
  label: string;
  kind: 'micros' | 'tokens' | 'count' | 'ratio' | 'number';
  values: (number | null)[];
  deltas: (number | null)[];
  relative: (number | null)[];
  verdict: ('better' | 'worse' | 'same' | 'baseline' | 'neutral')[];
}



export interface Alert {
  key: string;
  kind: string;
  severity: 'page' | 'ticket';
  tenant: string;
  at: string;
  message: string;
}

export interface OnCallView {
  now?: string;
  records: number;
  alerts: Alert[];
  alertCounts: Record<string, number>;
  topTenants: { tenant: string; lastHourMicros: number; lastHourRequests: number; burnRate?: number; budgetWindow?: string; budgetMicros?: number; refusedLastHour: number }[];
  /** Each budgeted tenant's guard state (normal, warned, downgraded, throttled, refused). */
  guards?: { tenant: string; state: string; since?: string; lastAction?: string; resetAt?: string; transitions: number }[];
  /** Each model's circuit breaker (closed, open, half-open). */
  breakers?: { model: string; state: string; failures: number; openUntil?: string }[];
}

export interface TenantRow {
  tenant: string;
  requests: number;
  fullCostMicros: number;
  vendorCostMicros: number;
  budgetMicros?: number;
  budgetWindow?: string;
  budgetUsed?: number;
  refused: number;
}

export interface PolicyViews {
  name: string;
  executive: ExecutiveView;
  tenants: TenantRow[];
  oncall?: OnCallView;
}

export interface SimulationResult {
  report: { trace: { requests: number; skipped: number; issues: { line: number; reason: string }[] }; policies: PolicySimulation[] };
  views: PolicyViews[];
  compare: CompareRow[];
  elapsedMs: number;
}

export type RunEvent =
  | { type: 'start'; runId: string; policies: string[]; trace: { id: string; requests: number } }
  | { type: 'progress'; policy: string; done: number; total: number; elapsedMs: number }
  | ({ type: 'result' } & SimulationResult)
  | { type: 'error'; error: string; message: string }
  | { type: 'cancelled' };

export interface Candidate {
  model: string;
  tier: string;
  predictedCostMicros: number;
  predictedQuality: number;
  eligible: boolean;
  reason?: string;
}

export interface DryRun {
  requestId: string;
  rule: string;
  model: string;
  tier: string;
  promptTokens: number;
  predictedCostMicros: number;
  predictedQuality: number;
  candidates: Candidate[];
  fallbackChain: string[];
  classification: { task: string; complexity: number; predictedOutputTokens: number; source: string };
  /** Self-hosted candidates' predicted service time (ms): alone on a replica, and in a full batch of `maxBatch`. */
  selfHostedLatency: { model: string; aloneMs: number; fullBatchMs: number; maxBatch: number }[];
  explanation: string;
}

export interface TraceRequestSummary {
  id: string;
  timestamp: string;
  tenant: string;
  task?: string;
  promptTokens?: number;
  outputTokens?: number;
}

export interface LogViews {
  loaded: boolean;
  file?: string;
  records?: number;
  executive?: ExecutiveView;
  oncall?: OnCallView;
  recent?: { requestId: string; time: string; tenant: string; model?: string; rule?: string; outcome: string; fullCostMicros: number }[];
}

/** The page sends a policy as editor text. */
export interface PolicyText {
  text: string;
}

/** `POST /api/batch-tradeoff`: one self-hosted model at one batch-size cap (offline/simulation BatchTradeoffRow). */
export interface BatchTradeoffRow {
  maxBatch: number;
  requests: number;
  share: number;
  policyFullCostMicros: number;
  infraCostMicros: number;
  idleCostMicros: number;
  utilization: number;
  provisionedGpuHours: number;
  peakReplicas: number;
  infraPerMillionMicros: number;
  busyPerMillionMicros: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  queueP99Ms: number;
}

export interface BatchTradeoff {
  policy: string;
  model: string;
  rows: BatchTradeoffRow[];
}

export interface BatchTradeoffAnswer {
  policy: { name: string; version: string };
  trace: { id: string; requests: number };
  tradeoffs: BatchTradeoff[];
}
