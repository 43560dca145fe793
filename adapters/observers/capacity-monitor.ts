import { Gauge, type Registry } from 'prom-client';
import { parsePrometheusText, type PromExposition, sumOf } from './capacity-metrics-text.js';

/** The serving engines whose `/metrics` the monitor reads. */
export type ServingEngine = 'vllm' | 'tgi' | 'llamacpp';

/**
 * The metric names read per engine: prompt and generated token counters, requests being served
 * (the current batch) and requests waiting. TGI has no token counters; the `_sum` of its token
 * histograms is one (it only grows). Every sample of the name is summed (vLLM labels by `model_name`).
 */
export const ENGINE_METRICS: Record<ServingEngine, { prompt: string; generation: string; running: string; waiting: string }> = {
  vllm: { prompt: 'vllm:prompt_tokens_total', generation: 'vllm:generation_tokens_total', running: 'vllm:num_requests_running', waiting: 'vllm:num_requests_waiting' },
  tgi: { prompt: 'tgi_request_input_length_sum', generation: 'tgi_request_generated_tokens_sum', running: 'tgi_batch_current_size', waiting: 'tgi_queue_size' },
  llamacpp: { prompt: 'llamacpp:prompt_tokens_total', generation: 'llamacpp:tokens_predicted_total', running: 'llamacpp:requests_processing', waiting: 'llamacpp:requests_deferred' },
};

/** One replica of a self-hosted model to scrape. */
export interface CapacityTarget {
  /** The policy's model id. */
  model: string;
  /** Replica name (default: the URL's host:port). */
  replica?: string;
  /** The replica's metrics URL, e.g. `http://10.0.0.5:8000/metrics`. */
  url: string;
  engine: ServingEngine;
  /** The replica's concurrency (the capacity curve's largest batch): utilization = running ÷ maxBatch. */
  maxBatch?: number;
  /** GPUs of the replica, for busy GPU-seconds (default 1). */
  gpus?: number;
}

/** What one scrape of one replica measured, against the previous scrape of it. */
export interface CapacityObservation {
  model: string;
  replica: string;
  engine: ServingEngine;
  /** Monitor clock at this scrape, and the time since the previous one (0 on the first). */
  atMs: number;
  intervalMs: number;
  /** Tokens counted since the previous scrape (a counter that went down — a restarted server — counts from 0). */
  promptTokens: number;
  generationTokens: number;
  promptTokensPerSecond: number;
  generationTokensPerSecond: number;
  /** Requests in the batch and waiting, now. */
  running: number;
  waiting: number;
  /** running ÷ maxBatch, 0–1 (absent without `maxBatch`). */
  utilization?: number;
  /** utilization × interval × GPUs: the busy GPU-seconds since the previous scrape (absent without `maxBatch`). */
  busyGpuSeconds?: number;
}

/** A scrape that failed: unreachable, not 200, or not the text format. The previous counters are kept. */
export interface CapacityScrapeError {
  model: string;
  replica: string;
  url: string;
  message: string;
}

export interface CapacityMonitorOptions {
  targets: CapacityTarget[];
  /** Scrape period for {@link CapacityMonitor.start} (default 15 s). */
  intervalMs?: number;
  /** Per-scrape timeout (default 5 s). */
  timeoutMs?: number;
  clock?: () => number;
  /** Exposes the latest observation as gauges on this registry (`/metrics`). */
  registry?: Registry;
  /** Called with every observation (the ledger's feed). */
  onObservation?: (o: CapacityObservation) => void;
  onError?: (e: CapacityScrapeError) => void;
}

interface Previous {
  atMs: number;
  prompt: number;
  generation: number;
}

/**
 * CapacityMonitor: scrapes each self-hosted replica's Prometheus endpoint (vLLM, TGI, llama.cpp's
 * server) and measures tokens/s, batch size, queue and utilization per replica — measured, not typed
 * into the policy (docs/capacity.md). Each scrape is parsed by an exact text-format parser
 * (./capacity-metrics-text.ts); rates are counter deltas over the monitor clock. Observations go to
 * `onObservation` and, with a `registry`, to the gauges `tollgate_capacity_tokens_per_second{model,
 * replica,kind}`, `tollgate_capacity_requests{model,replica,state}` and
 * `tollgate_capacity_utilization{model,replica}`; `totals()` sums them per model.
 */
export class CapacityMonitor {
  private readonly previous = new Map<string, Previous>();
  private readonly latest = new Map<string, CapacityObservation>();
  private readonly sums = new Map<string, { promptTokens: number; generationTokens: number; busyGpuSeconds: number; observedMs: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly clock: () => number;
  private readonly gauges?: { tps: Gauge<'model' | 'replica' | 'kind'>; requests: Gauge<'model' | 'replica' | 'state'>; utilization: Gauge<'model' | 'replica'> };

  constructor(private readonly options: CapacityMonitorOptions) {
    this.clock = options.clock ?? Date.now;
    const registers = options.registry ? [options.registry] : [];
    if (options.registry) {
      this.gauges = {
        tps: new Gauge({ name: 'tollgate_capacity_tokens_per_second', help: 'Tokens per second a self-hosted replica served between the last two scrapes (kind: prompt, generation).', labelNames: ['model', 'replica', 'kind'], registers }),
        requests: new Gauge({ name: 'tollgate_capacity_requests', help: 'Requests a self-hosted replica is serving (state=running: its batch) or holding (state=waiting), at the last scrape.', labelNames: ['model', 'replica', 'state'], registers }),
        utilization: new Gauge({ name: 'tollgate_capacity_utilization', help: 'Running requests over the replica concurrency (the capacity curve largest batch), 0-1, at the last scrape.', labelNames: ['model', 'replica'], registers }),
      };
    }
  }

  /** Scrapes every target once (in parallel) and returns the observations of the replicas that answered. */
  async scrape(): Promise<CapacityObservation[]> {
    const results = await Promise.all(this.options.targets.map((t) => this.scrapeOne(t)));
    return results.filter((o): o is CapacityObservation => o !== undefined);
  }

  /** Scrapes every `intervalMs` until {@link stop}. */
  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.running ??= this.scrape().finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs ?? 15_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** The latest observation of each replica. */
  snapshot(): CapacityObservation[] {
    return [...this.latest.values()];
  }

  /** Per model since the monitor started: tokens served, busy GPU-seconds (replicas with `maxBatch`), time observed. */
  totals(): Map<string, { promptTokens: number; generationTokens: number; busyGpuSeconds: number; observedMs: number }> {
    return new Map([...this.sums].map(([k, v]) => [k, { ...v }]));
  }

  private async scrapeOne(t: CapacityTarget): Promise<CapacityObservation | undefined> {
    const replica = t.replica ?? new URL(t.url).host;
    const key = `${t.model}\0${replica}`;
    let expo: PromExposition;
    try {
      const res = await fetch(t.url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000), headers: { accept: 'text/plain;version=0.0.4' } });
      const body = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      expo = parsePrometheusText(body);
    } catch (err) {
      this.options.onError?.({ model: t.model, replica, url: t.url, message: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
    const names = ENGINE_METRICS[t.engine];
    const prompt = sumOf(expo, names.prompt);
    const generation = sumOf(expo, names.generation);
    if (prompt === undefined || generation === undefined) {
      this.options.onError?.({ model: t.model, replica, url: t.url, message: `no ${prompt === undefined ? names.prompt : names.generation} in the scrape (is it a ${t.engine} server with metrics on?)` });
      return undefined;
    }
    const atMs = this.clock();
    const prev = this.previous.get(key);
    this.previous.set(key, { atMs, prompt, generation });
    const intervalMs = prev ? Math.max(0, atMs - prev.atMs) : 0;
    const delta = (now: number, before: number | undefined): number => (before === undefined ? 0 : now >= before ? now - before : now);
    const promptTokens = delta(prompt, prev?.prompt);
    const generationTokens = delta(generation, prev?.generation);
    const perSecond = (n: number): number => (intervalMs > 0 ? (n * 1000) / intervalMs : 0);
    const running = sumOf(expo, names.running) ?? 0;
    const waiting = sumOf(expo, names.waiting) ?? 0;
    const o: CapacityObservation = {
      model: t.model,
      replica,
      engine: t.engine,
      atMs,
      intervalMs,
      promptTokens,
      generationTokens,
      promptTokensPerSecond: perSecond(promptTokens),
      generationTokensPerSecond: perSecond(generationTokens),
      running,
      waiting,
    };
    if (t.maxBatch) {
      o.utilization = Math.min(1, Math.max(0, running / t.maxBatch));
      o.busyGpuSeconds = (o.utilization * intervalMs * (t.gpus ?? 1)) / 1000;
    }
    this.latest.set(key, o);
    let s = this.sums.get(t.model);
    if (!s) this.sums.set(t.model, (s = { promptTokens: 0, generationTokens: 0, busyGpuSeconds: 0, observedMs: 0 }));
    s.promptTokens += promptTokens;
    s.generationTokens += generationTokens;
    s.busyGpuSeconds += o.busyGpuSeconds ?? 0;
    s.observedMs += intervalMs;
    if (this.gauges) {
      const l = { model: t.model, replica };
      this.gauges.tps.set({ ...l, kind: 'prompt' }, o.promptTokensPerSecond);
      this.gauges.tps.set({ ...l, kind: 'generation' }, o.generationTokensPerSecond);
      this.gauges.requests.set({ ...l, state: 'running' }, running);
      this.gauges.requests.set({ ...l, state: 'waiting' }, waiting);
      if (o.utilization !== undefined) this.gauges.utilization.set(l, o.utilization);
    }
    this.options.onObservation?.(o);
    return o;
  }
}
