import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapacityMonitor, type CapacityObservation } from '../../../adapters/observers/capacity-monitor.js';
import { parsePrometheusText, PrometheusTextError } from '../../../adapters/observers/capacity-metrics-text.js';

/** The exposition format spec's example (prometheus.io/docs/instrumenting/exposition_formats). */
const SPEC_EXAMPLE = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
`;

describe('Prometheus text parser', () => {
  it("reads the spec's example: escapes, timestamps, +Inf, histograms, like parse-prometheus-text-format", () => {
    const e = parsePrometheusText(SPEC_EXAMPLE);
    expect(e.types.get('http_requests_total')).toBe('counter');
    expect(e.help.get('http_requests_total')).toBe('The total number of HTTP requests.');
    expect(e.samples[0]).toEqual({ name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027, timestampMs: 1395066363000 });
    const ms = e.samples.find((s) => s.name === 'msdos_file_access_time_seconds')!;
    expect(ms.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(ms.value).toBe(1.458255915e9);
    expect(e.samples.find((s) => s.name === 'something_weird')).toMatchObject({ value: Infinity, timestampMs: -3982045 });
    expect(e.samples.find((s) => s.name === 'http_request_duration_seconds_sum')!.value).toBe(53423);
    // The reference parser agrees on the label values and numbers.
    const ref = parsePrometheusTextFormat(SPEC_EXAMPLE);
    const refMs = ref.find((f) => f.name === 'msdos_file_access_time_seconds')!.metrics[0]!;
    expect(refMs.labels).toEqual(ms.labels);
    expect(Number(refMs.value)).toBe(ms.value);
    expect(ref.find((f) => f.name === 'http_requests_total')!.metrics.map((m) => Number(m.value))).toEqual([1027, 3]);
  });

  it('reads names with colons, trailing commas, NaN and tabs; refuses broken lines with their number', () => {
    const e = parsePrometheusText('vllm:num_requests_running{model_name="m",}\t3\nx NaN\n');
    expect(e.samples[0]).toEqual({ name: 'vllm:num_requests_running', labels: { model_name: 'm' }, value: 3 });
    expect(Number.isNaN(e.samples[1]!.value)).toBe(true);
    for (const bad of ['x{a="1} 2', 'x{a=1} 2', 'x abc', 'x 1 2 3', '{a="b"} 1', 'x{a="\\q"} 1', 'x 1 1.5']) {
      expect(() => parsePrometheusText(`ok 1\n${bad}\n`), bad).toThrow(PrometheusTextError);
      try {
        parsePrometheusText(`ok 1\n${bad}\n`);
      } catch (err) {
        expect((err as PrometheusTextError).line).toBe(2);
      }
    }
  });
});

/** A fake serving engine on 127.0.0.1 exposing the engine's exact metric names; its counters move on every scrape. */
function fakeEngine(render: (n: number) => string): Promise<{ server: Server; url: string; scrapes: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(render(n++));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, scrapes: () => n })));
}

const vllm = (n: number) => `# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{model_name="meta-llama/Llama-3.1-8B-Instruct"} ${1000 + n * 50_000}.0
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{model_name="meta-llama/Llama-3.1-8B-Instruct"} ${n * 8_000}.0
# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="meta-llama/Llama-3.1-8B-Instruct"} ${[4, 16, 32][n % 3]}.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="meta-llama/Llama-3.1-8B-Instruct"} ${n}.0
`;
// llama.cpp's server with --metrics; it restarts (counters back near 0) at the 4th scrape.
const llamacpp = (n: number) => `# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
# TYPE llamacpp:prompt_tokens_total counter
llamacpp:prompt_tokens_total ${n < 3 ? n * 2_000 : (n - 3) * 2_000 + 500}
# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.
# TYPE llamacpp:tokens_predicted_total counter
llamacpp:tokens_predicted_total ${n < 3 ? n * 300 : (n - 3) * 300 + 100}
# HELP llamacpp:requests_processing Number of requests processing.
# TYPE llamacpp:requests_processing gauge
llamacpp:requests_processing 1
# HELP llamacpp:requests_deferred Number of requests deferred.
# TYPE llamacpp:requests_deferred gauge
llamacpp:requests_deferred 0
`;
const tgi = (n: number) => `# TYPE tgi_request_input_length histogram
tgi_request_input_length_bucket{le="+Inf"} ${n * 10}
tgi_request_input_length_sum ${n * 7_000}
tgi_request_input_length_count ${n * 10}
# TYPE tgi_request_generated_tokens histogram
tgi_request_generated_tokens_sum ${n * 1_500}
tgi_request_generated_tokens_count ${n * 10}
# TYPE tgi_batch_current_size gauge
tgi_batch_current_size 6
# TYPE tgi_queue_size gauge
tgi_queue_size 2
`;

describe('CapacityMonitor against fake vLLM, llama.cpp and TGI servers', () => {
  const servers: Server[] = [];
  let urls: { vllm: string; llamacpp: string; tgi: string; down: string };
  beforeAll(async () => {
    const [a, b, c, d] = await Promise.all([fakeEngine(vllm), fakeEngine(llamacpp), fakeEngine(tgi), fakeEngine(() => 'not metrics at all {')]);
    servers.push(a.server, b.server, c.server, d.server);
    urls = { vllm: a.url, llamacpp: b.url, tgi: c.url, down: d.url };
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  it('measures tokens/s, batch, queue and utilization per replica from moving counters, and exposes them on /metrics', async () => {
    let now = 1_000_000;
    const registry = new Registry();
    const seen: CapacityObservation[] = [];
    const errors: string[] = [];
    const monitor = new CapacityMonitor({
      targets: [
        { model: 'llama-local', replica: 'vllm-0', url: urls.vllm, engine: 'vllm', maxBatch: 32, gpus: 2 },
        { model: 'small-local', replica: 'cpp-0', url: urls.llamacpp, engine: 'llamacpp', maxBatch: 1 },
        { model: 'tgi-local', url: urls.tgi, engine: 'tgi', maxBatch: 8 },
        { model: 'broken', url: urls.down, engine: 'vllm' },
      ],
      clock: () => now,
      registry,
      onObservation: (o) => seen.push(o),
      onError: (e) => errors.push(`${e.model}: ${e.message}`),
    });
    const first = await monitor.scrape();
    expect(first.find((o) => o.model === 'llama-local')).toMatchObject({ intervalMs: 0, promptTokens: 0, running: 4, waiting: 0, utilization: 4 / 32 });
    expect(errors).toEqual([expect.stringMatching(/^broken: metrics line 1: /)]);
    now += 10_000;
    const second = await monitor.scrape();
    const v = second.find((o) => o.model === 'llama-local')!;
    expect(v).toMatchObject({ replica: 'vllm-0', engine: 'vllm', intervalMs: 10_000, promptTokens: 50_000, generationTokens: 8_000, running: 16, waiting: 1 });
    expect(v.promptTokensPerSecond).toBe(5_000);
    expect(v.generationTokensPerSecond).toBe(800);
    expect(v.utilization).toBe(0.5);
    expect(v.busyGpuSeconds).toBe(0.5 * 10 * 2);
    const t = second.find((o) => o.model === 'tgi-local')!;
    expect(t).toMatchObject({ promptTokensPerSecond: 700, generationTokensPerSecond: 150, running: 6, waiting: 2, utilization: 0.75 });
    expect(t.replica).toMatch(/^127\.0\.0\.1:\d+$/);
    now += 10_000;
    await monitor.scrape();
    now += 5_000;
    const fourth = await monitor.scrape();
    // llama.cpp restarted: its counters fell, so the new value is what was served since.
    const c = fourth.find((o) => o.model === 'small-local')!;
    expect(c).toMatchObject({ intervalMs: 5_000, promptTokens: 500, generationTokens: 100, running: 1, utilization: 1 });
    // The ledger's feed: totals per model.
    const totals = monitor.totals();
    expect(totals.get('llama-local')).toEqual({ promptTokens: 150_000, generationTokens: 24_000, busyGpuSeconds: 2 * (0.5 * 10 + 1 * 10 + (4 / 32) * 5), observedMs: 25_000 });
    expect(seen.filter((o) => o.model === 'small-local')).toHaveLength(4);
    // /metrics, read back with the reference parser.
    const families = parsePrometheusTextFormat(await registry.metrics());
    const gauge = (name: string, labels: Record<string, string>) => Number(families.find((f) => f.name === name)!.metrics.find((m) => Object.entries(labels).every(([k, x]) => m.labels?.[k] === x))!.value);
    expect(gauge('tollgate_capacity_tokens_per_second', { model: 'llama-local', replica: 'vllm-0', kind: 'prompt' })).toBe(10_000);
    expect(gauge('tollgate_capacity_requests', { model: 'llama-local', replica: 'vllm-0', state: 'running' })).toBe(4);
    expect(gauge('tollgate_capacity_requests', { model: 'tgi-local', state: 'waiting' })).toBe(2);
    expect(gauge('tollgate_capacity_utilization', { model: 'small-local', replica: 'cpp-0' })).toBe(1);
    expect(monitor.snapshot()).toHaveLength(3);
  });

  it('a server that does not answer is an error, not an observation; start() scrapes at once and stop() waits for it', async () => {
    const errors: string[] = [];
    const monitor = new CapacityMonitor({ targets: [{ model: 'gone', url: 'http://127.0.0.1:1/metrics', engine: 'vllm' }, { model: 'llama-local', url: urls.vllm, engine: 'vllm' }], intervalMs: 20, onError: (e) => errors.push(e.model) });
    monitor.start(); // scrapes at once, then every intervalMs
    await monitor.stop(); // waits for the scrape in flight
    expect(errors[0]).toBe('gone');
    expect(monitor.snapshot().map((o) => o.model)).toEqual(['llama-local']);
    expect(monitor.snapshot()[0]!.utilization).toBeUndefined();
  });
});
