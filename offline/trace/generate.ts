import { ValidationError } from '../../errors.js';
import { Prng } from './prng.js';
import type { TraceMessage, TraceRequest, TraceTask } from './schema.js';
import { defaultTenants, type TenantProfile } from './tenant-profiles.js';
import { promptText } from './trace-text.js';
import { resolveStartOption } from './timestamps.js';

/** Options for {@link generateTrace}. Only `seed` and `requests` are required. */
export interface GenerateTraceOptions {
  /** Same seed (and options) → byte-identical trace. */
  seed: number | string;
  /** How many requests to generate. */
  requests: number;
  /** A count of built-in tenants (default 5) or explicit profiles. */
  tenants?: number | readonly TenantProfile[];
  /** First possible arrival: epoch ms or ISO 8601. Default {@link GENERATOR_DEFAULT_START} (a Monday). */
  start?: number | string;
  /** Mean arrival rate in requests/second before diurnal and burst factors. Default 0.03 (~2,600/day). */
  ratePerSecond?: number;
  /** Mean number of bursts per day. Default 6. */
  burstsPerDay?: number;
  /** Default true. False emits token counts only (smaller files for large benchmarks). */
  messages?: boolean;
  /** Request ids are `<prefix>-<n>`. Default `req`. */
  idPrefix?: string;
}

export const GENERATOR_DEFAULT_START = '2024-06-03T00:00:00Z';

/** Prompt/output token medians and log-space spreads per task. */
const LENGTHS: Record<TraceTask, { prompt: [number, number]; output: [number, number] }> = {
  code: { prompt: [450, 1.0], output: [300, 0.8] },
  math: { prompt: [150, 0.7], output: [350, 0.7] },
  chat: { prompt: [90, 1.0], output: [160, 0.8] },
  summarization: { prompt: [1800, 0.9], output: [220, 0.6] },
  extraction: { prompt: [700, 0.9], output: [120, 0.7] },
  'retrieval-qa': { prompt: [2200, 0.6], output: [180, 0.7] },
  other: { prompt: [60, 0.9], output: [120, 0.9] },
};
const TAIL_PROBABILITY = 0.03;
const TAIL_ALPHA = 1.2;
const MAX_PROMPT_TOKENS = 128_000;
const MAX_OUTPUT_TOKENS = 8_192;
const OUTPUT_CAPS = [256, 512, 1024, 2048, 4096] as const;
const DAY_MS = 86_400_000;

/** Arrival-rate multiplier for the hour of day (UTC): peak ×1.7 at 15:00, trough ×0.3 at 03:00; weekends ×0.5. */
export function diurnalFactor(atMs: number): number {
  const hour = (atMs % DAY_MS) / 3_600_000;
  const weekday = new Date(atMs).getUTCDay();
  const weekend = weekday === 0 || weekday === 6 ? 0.5 : 1;
  return weekend * (1 + 0.7 * Math.cos((2 * Math.PI * (hour - 15)) / 24));
}

interface Burst {
  start: number;
  end: number;
  factor: number;
  tenant: TenantProfile;
}

function checkOptions(o: GenerateTraceOptions): void {
  const issues: { path: string; message: string }[] = [];
  if (!Number.isInteger(o.requests) || o.requests < 0) issues.push({ path: 'requests', message: 'must be an integer ≥ 0' });
  if (o.ratePerSecond !== undefined && !(o.ratePerSecond > 0)) issues.push({ path: 'ratePerSecond', message: 'must be > 0' });
  if (o.burstsPerDay !== undefined && !(o.burstsPerDay >= 0)) issues.push({ path: 'burstsPerDay', message: 'must be ≥ 0' });
  if (typeof o.tenants === 'number' && (!Number.isInteger(o.tenants) || o.tenants < 1)) issues.push({ path: 'tenants', message: 'must be an integer ≥ 1' });
  if (Array.isArray(o.tenants) && o.tenants.length === 0) issues.push({ path: 'tenants', message: 'must not be empty' });
  if (issues.length > 0) throw new ValidationError('generator options', issues);
}

/** Rough token count of a text (≈ 4 characters per token), so `promptTokens` never undercuts the messages. */
function roughTokens(messages: TraceMessage[]): number {
  return messages.reduce((n, m) => n + 4 + Math.ceil(m.content.length / 4), 0);
}

/**
 * Generates a synthetic trace lazily, in time order, in constant memory. Deterministic: the same
 * options give the same requests. Tenants differ in task mix; arrivals follow a diurnal,
 * weekday-aware Poisson process with bursts (each burst floods from one tenant, tagged `burst`);
 * prompt and output lengths are log-normal per task with a Pareto tail on prompts. Each request
 * has a `task` hint, `tags` (feature, env, burst), `promptTokens`, `outputTokens`, sometimes
 * `maxOutputTokens`, and (unless `messages: false`) a short templated prompt.
 * Throws `ValidationError` for impossible options.
 */
export function* generateTrace(options: GenerateTraceOptions): Generator<TraceRequest> {
  checkOptions(options);
  const rng = new Prng(options.seed);
  const tenants = typeof options.tenants === 'object' ? [...options.tenants] : defaultTenants(options.tenants ?? 5);
  const tenantWeights = Object.fromEntries(tenants.map((t, i) => [String(i), t.weight]));
  const pickTenant = (): TenantProfile => tenants[Number(rng.weighted(tenantWeights))]!;
  const baseRate = (options.ratePerSecond ?? 0.03) / 1000; // per ms
  const burstRate = (options.burstsPerDay ?? 6) / DAY_MS;
  const withMessages = options.messages ?? true;
  const prefix = options.idPrefix ?? 'req';
  const width = Math.max(6, String(options.requests).length);

  let now = resolveStartOption(options.start, GENERATOR_DEFAULT_START);
  const nextBurst = (after: number): Burst => {
    const start = burstRate > 0 ? after + rng.exponential(burstRate) : Infinity;
    const duration = rng.logNormal(240_000, 0.8);
    return { start, end: start + duration, factor: 5 + rng.pareto(1, 1.5), tenant: pickTenant() };
  };
  let burst = nextBurst(now);

  for (let n = 1; n <= options.requests; n++) {
    // Piecewise-constant rate: redraw at every burst boundary (the exponential is memoryless).
    for (;;) {
      const inBurst = now >= burst.start;
      const rate = baseRate * diurnalFactor(now) * (inBurst ? burst.factor : 1);
      const next = now + rng.exponential(rate);
      const boundary = inBurst ? burst.end : burst.start;
      if (next < boundary) {
        now = next;
        break;
      }
      now = boundary;
      if (inBurst) burst = nextBurst(now);
    }
    const inBurst = now >= burst.start;
    const fromBurst = inBurst && rng.next() < 1 - 1 / burst.factor;
    const tenant = fromBurst ? burst.tenant : pickTenant();
    yield makeRequest(rng, `${prefix}-${String(n).padStart(width, '0')}`, Math.floor(now), tenant, fromBurst, withMessages);
  }
}

function makeRequest(rng: Prng, id: string, timestamp: number, tenant: TenantProfile, fromBurst: boolean, withMessages: boolean): TraceRequest {
  const task = rng.weighted(tenant.tasks);
  const lengths = LENGTHS[task];
  let prompt = rng.logNormal(lengths.prompt[0], lengths.prompt[1]);
  if (rng.next() < TAIL_PROBABILITY) prompt *= rng.pareto(1, TAIL_ALPHA);
  let output = Math.max(1, Math.min(MAX_OUTPUT_TOKENS, Math.round(rng.logNormal(lengths.output[0], lengths.output[1]))));
  const cap = rng.next() < 0.4 ? rng.pick(OUTPUT_CAPS) : undefined;
  if (cap !== undefined) output = Math.min(output, cap);
  const tags = [rng.pick(tenant.features), rng.next() < 0.9 ? 'env:prod' : 'env:staging'];
  if (fromBurst) tags.push('burst');

  const request: TraceRequest = { id, timestamp, tenant: tenant.name, promptTokens: 0, outputTokens: output, tags, task };
  let floor = 8;
  if (withMessages) {
    const messages: TraceMessage[] = [];
    if (rng.next() < 0.5) messages.push({ role: 'system', content: tenant.systemPrompt });
    messages.push({ role: 'user', content: promptText(task, rng) });
    request.messages = messages;
    floor = Math.max(floor, roughTokens(messages));
  }
  request.promptTokens = Math.max(floor, Math.min(MAX_PROMPT_TOKENS, Math.round(prompt)));
  if (cap !== undefined) request.maxOutputTokens = cap;
  return request;
}
