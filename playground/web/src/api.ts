import type { BatchTradeoffAnswer, DryRun, ExamplePolicy, FieldIssue, LogViews, PolicyText, RunEvent, TraceRequestSummary, TraceSummary, Validation } from './types';

/** An API answer that was not 2xx: the server's `{ error, message, issues? }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, {
    method,
    signal,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as { error?: string; message?: string; issues?: FieldIssue[] };
  if (!res.ok) throw new ApiError(res.status, data.error ?? 'http_error', data.message ?? `HTTP ${res.status}`, data.issues);
  return data as T;
}

export const api = {
  examples: () => call<{ policies: ExamplePolicy[] }>('GET', '/api/policies').then((r) => r.policies),
  validate: (text: string, signal?: AbortSignal) => call<Validation>('POST', '/api/policies/validate', { text }, signal),
  traces: () => call<{ traces: TraceSummary[] }>('GET', '/api/traces').then((r) => r.traces),
  upload: (name: string, text: string) => call<TraceSummary>('POST', '/api/traces', { name, text }),
  generate: (seed: number, requests: number, tenants: number) => call<TraceSummary>('POST', '/api/traces/generate', { seed, requests, tenants }),
  traceRequests: (id: string) => call<{ requests: TraceRequestSummary[] }>('GET', `/api/traces/${encodeURIComponent(id)}/requests?limit=100`).then((r) => r.requests),
  explain: (policy: PolicyText, traceId: string, requestId: string) => call<{ dryRun: DryRun }>('POST', '/api/explain', { policy, traceId, requestId }).then((r) => r.dryRun),
  batchTradeoff: (policy: PolicyText, traceId: string) => call<BatchTradeoffAnswer>('POST', '/api/batch-tradeoff', { policy, traceId }),
  cancel: (runId: string) => call<{ cancelled: boolean }>('POST', `/api/runs/${encodeURIComponent(runId)}/cancel`),
  log: () => call<LogViews>('GET', '/api/log'),
};

/**
 * Starts a simulation and calls `onEvent` for every NDJSON event the server streams. Aborting
 * `signal` closes the connection, which cancels the run on the server.
 */
export async function simulate(policies: PolicyText[], traceId: string, onEvent: (e: RunEvent) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch('/api/simulate', {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ policies, traceId }),
  });
  if (!res.ok || !res.body) {
    const data = (await res.json().catch(() => ({}))) as { error?: string; message?: string; issues?: FieldIssue[] };
    throw new ApiError(res.status, data.error ?? 'http_error', data.message ?? `HTTP ${res.status}`, data.issues);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim()) onEvent(JSON.parse(line) as RunEvent);
    }
  }
}
