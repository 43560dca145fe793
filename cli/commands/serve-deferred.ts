import { existsSync, mkdirSync } from 'node:fs';
import { AnthropicBatchClient, FileBatchJobStore, OpenAIBatchClient, type DeferredOptions, type LoadedPolicy, type VendorBatchClient } from '../../index.js';
import { readDecisionLog } from '../../offline/reporting/index.js';
import { CliUsageError } from '../io.js';

/** `serve` flags of deferrable work (docs/gateway.md, "Deferrable requests"). */
export interface ServeDeferredFlags {
  deferred?: boolean;
  batchMaxSize: string;
  batchMaxAge: string;
  batchPoll: string;
}

export const DEFAULT_BATCH_MAX_SIZE = '1000';
export const DEFAULT_BATCH_MAX_AGE = '60s';
export const DEFAULT_BATCH_POLL = '30s';
/** OpenAI's cap on requests in one batch (Anthropic's is 100,000). */
const MAX_BATCH_LINES = 50_000;

/** Where `serve --deferred` keeps its batch jobs: next to the decision log. */
export const deferredStorePath = (log: string): string => `${log}.deferred/jobs.json`;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `250ms`, `30s`, `5m`, `1h` → milliseconds; a usage error naming the flag otherwise. */
export function parseFlagDuration(flag: string, text: string): number {
  const m = /^(\d{1,7})(ms|s|m|h)$/.exec(text);
  if (!m) throw new CliUsageError(`${flag} must be a duration like 250ms, 30s, 5m or 1h, got "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** A vendor's batch API base URL from a model's endpoint (OpenAI-compatible endpoints include `/v1`; the batch client adds it). */
function batchBase(endpoint: string | undefined, vendor: 'openai' | 'anthropic'): string {
  const base = endpoint ?? (vendor === 'openai' ? 'https://api.openai.com/v1' : 'https://api.anthropic.com');
  return base.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/**
 * One batch client per vendor from the policy's vendor-tier models (`openai-compatible` → OpenAI files +
 * batches, `anthropic` → Message Batches), with the key from the model's `apiKeyEnv`. A vendor whose models
 * disagree on endpoint or key, or whose key variable is unset, gets none (a note says why): its models'
 * deferrable requests are `batch_unsupported` (or run now, per the rule's `onUnsupported`).
 */
export function batchClients(loaded: LoadedPolicy, note: (line: string) => void): Partial<Record<'openai' | 'anthropic', VendorBatchClient>> {
  const seen = new Map<'openai' | 'anthropic', Map<string, { base: string; keyEnv?: string; models: string[] }>>();
  for (const m of loaded.policy.models) {
    if (m.tier !== 'vendor') continue;
    const vendor = m.adapter === 'anthropic' ? 'anthropic' : m.adapter === 'openai-compatible' ? 'openai' : undefined;
    if (!vendor) continue;
    const base = batchBase(m.endpoint, vendor);
    const byTarget = seen.get(vendor) ?? new Map();
    seen.set(vendor, byTarget);
    const k = `${base} ${m.apiKeyEnv ?? ''}`;
    const t = byTarget.get(k) ?? { base, keyEnv: m.apiKeyEnv, models: [] };
    t.models.push(m.id);
    byTarget.set(k, t);
  }
  const clients: Partial<Record<'openai' | 'anthropic', VendorBatchClient>> = {};
  for (const [vendor, targets] of seen) {
    if (targets.size > 1) {
      note(`note: --deferred: ${vendor} batch API off: its models use ${targets.size} different endpoints or keys (${[...targets.values()].map((t) => t.models.join(', ')).join(' / ')}); one batch client per vendor`);
      continue;
    }
    const t = [...targets.values()][0]!;
    const apiKey = t.keyEnv ? process.env[t.keyEnv] : '';
    if (apiKey === undefined || (t.keyEnv && !apiKey)) {
      note(`note: --deferred: ${vendor} batch API off: environment variable ${t.keyEnv} is not set`);
      continue;
    }
    clients[vendor] = vendor === 'openai' ? new OpenAIBatchClient({ baseUrl: t.base, apiKey }) : new AnthropicBatchClient({ baseUrl: t.base, apiKey });
  }
  return clients;
}

/**
 * `createTollgate({ deferred })` for `serve --deferred`: the policy's batch clients, a file job store in
 * `<log>.deferred/jobs.json` (one process owns it), flush by `--batch-max-size` lines or `--batch-max-age`,
 * polled every `--batch-poll`. A restart on the same store resumes every job where it stopped: a job that
 * was settling re-settles only the lines the JSONL decision log lacks (with `--db` the log is not read;
 * the store's saved results still keep a settled line from settling twice once its job is saved).
 * `undefined` without `--deferred`.
 */
export async function serveDeferredOptions(flags: ServeDeferredFlags, loaded: LoadedPolicy, o: { log: string; jsonlLog: boolean; workers: number; note: (line: string) => void }): Promise<DeferredOptions | undefined> {
  const maxLines = Number(flags.batchMaxSize);
  if (!Number.isInteger(maxLines) || maxLines < 1 || maxLines > MAX_BATCH_LINES) throw new CliUsageError(`--batch-max-size must be an integer 1-${MAX_BATCH_LINES}, got "${flags.batchMaxSize}"`);
  const maxAgeMs = parseFlagDuration('--batch-max-age', flags.batchMaxAge);
  const pollMs = parseFlagDuration('--batch-poll', flags.batchPoll);
  if (pollMs < 10) throw new CliUsageError(`--batch-poll must be at least 10ms, got "${flags.batchPoll}"`);
  if (!flags.deferred) return undefined;
  if (o.workers > 1) throw new CliUsageError('--deferred needs --workers 1: one process owns the batch job store (run one replica per store)');
  const clients = batchClients(loaded, o.note);
  if (!clients.openai && !clients.anthropic) throw new CliUsageError('--deferred: the policy has no vendor model with a usable batch API (tier vendor, adapter openai-compatible or anthropic)');
  const path = deferredStorePath(o.log);
  mkdirSync(`${o.log}.deferred`, { recursive: true });
  const store = new FileBatchJobStore(path);
  // Lines of jobs killed while settling: the ones the decision log already has are not settled again.
  const settling = new Set(store.all().filter((j) => j.state === 'completed' || j.state === 'expired' || j.state === 'failed').flatMap((j) => j.lines.map((l) => l.customId).filter((id) => !j.results?.[id])));
  const logged = new Set<string>();
  if (settling.size > 0 && o.jsonlLog && existsSync(o.log)) {
    for await (const r of readDecisionLog(o.log, { skipInvalid: true })) if (r.requestId && settling.has(r.requestId)) logged.add(r.requestId);
  }
  return {
    clients,
    store,
    maxLines,
    maxAgeMs,
    pollMs,
    isSettled: (id) => logged.has(id),
    onIssue: (job, issue) => o.note(`deferred ${job}: ${issue}`),
  };
}
