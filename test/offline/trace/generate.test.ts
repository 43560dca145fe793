import { describe, expect, it } from 'vitest';
import { formatTraceLine, generateTrace, Prng, TRACE_TASKS, TraceRequestSchema, type TraceRequest } from '../../../offline/trace/index.js';

const lines = (options: Parameters<typeof generateTrace>[0]): string[] => [...generateTrace(options)].map((r) => formatTraceLine(r));
const quantile = (sorted: number[], q: number): number => sorted[Math.floor(q * (sorted.length - 1))]!;

describe('Prng', () => {
  it('is deterministic per seed and uniform-ish in [0, 1)', () => {
    const a = new Prng(1);
    const b = new Prng(1);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    expect(new Prng('a').next()).not.toBe(new Prng('b').next());
  });
});

describe('generateTrace', () => {
  it('same seed → identical output; different seed → different output', () => {
    const options = { seed: 99, requests: 500 };
    expect(lines(options)).toEqual(lines(options));
    expect(lines({ ...options, seed: 100 })).not.toEqual(lines(options));
    expect(lines({ ...options, seed: 'x' })).toEqual(lines({ ...options, seed: 'x' }));
  });

  it('yields valid, time-ordered requests with unique ids', () => {
    const requests = [...generateTrace({ seed: 3, requests: 2_000 })];
    expect(requests).toHaveLength(2_000);
    for (let i = 1; i < requests.length; i++) expect(requests[i]!.timestamp).toBeGreaterThanOrEqual(requests[i - 1]!.timestamp);
    expect(new Set(requests.map((r) => r.id)).size).toBe(2_000);
    for (const r of requests) {
      expect(TraceRequestSchema.safeParse(JSON.parse(formatTraceLine(r))).success).toBe(true);
      if (r.maxOutputTokens !== undefined) expect(r.outputTokens).toBeLessThanOrEqual(r.maxOutputTokens);
    }
    expect(requests[0]!.timestamp).toBeGreaterThanOrEqual(Date.UTC(2024, 5, 3));
  });

  describe('distribution of 5,000 requests', () => {
    const requests: TraceRequest[] = [...generateTrace({ seed: 11, requests: 5_000, tenants: 6 })];
    const count = (key: (r: TraceRequest) => string) => {
      const m = new Map<string, number>();
      for (const r of requests) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
      return m;
    };

    it('has several tenants with different task mixes, and every task', () => {
      expect(count((r) => r.tenant).size).toBe(6);
      expect(new Set(requests.map((r) => r.task))).toEqual(new Set(TRACE_TASKS));
      const codeShare = (tenant: string) => requests.filter((r) => r.tenant === tenant && r.task === 'code').length / count((r) => r.tenant).get(tenant)!;
      expect(codeShare('acme-dev')).toBeGreaterThan(0.5);
      expect(codeShare('helpdesk')).toBe(0);
    });

    it('has heavy-tailed prompt lengths and long outputs', () => {
      const prompts = requests.map((r) => r.promptTokens!).sort((a, b) => a - b);
      expect(quantile(prompts, 0.99) / quantile(prompts, 0.5)).toBeGreaterThan(10);
      const outputs = requests.map((r) => r.outputTokens!).sort((a, b) => a - b);
      expect(quantile(outputs, 0.99) / quantile(outputs, 0.5)).toBeGreaterThan(3);
    });

    it('follows a diurnal cycle and has bursts', () => {
      const byHour = count((r) => String(new Date(r.timestamp).getUTCHours()));
      const afternoon = [13, 14, 15, 16, 17].reduce((s, h) => s + (byHour.get(String(h)) ?? 0), 0);
      const night = [1, 2, 3, 4, 5].reduce((s, h) => s + (byHour.get(String(h)) ?? 0), 0);
      expect(afternoon / night).toBeGreaterThan(2.5);
      const burst = requests.filter((r) => r.tags.includes('burst')).length;
      expect(burst / requests.length).toBeGreaterThan(0.02);
      expect(burst / requests.length).toBeLessThan(0.4);
    });

    it('writes task-specific text a keyword classifier can tell apart', () => {
      const text = (task: string) => requests.filter((r) => r.task === task).map((r) => r.messages!.at(-1)!.content);
      expect(text('code').every((t) => t.includes('```') || /\bfunction\b/.test(t))).toBe(true);
      expect(text('summarization').every((t) => /summar/i.test(t))).toBe(true);
      expect(text('extraction').every((t) => /\bextract\b/i.test(t))).toBe(true);
      expect(text('retrieval-qa').every((t) => /context|based on the attached/i.test(t))).toBe(true);
      expect(text('math').every((t) => /prove|solve|compute|probability/i.test(t))).toBe(true);
    });
  });

  it('can emit token counts only', () => {
    const [r] = [...generateTrace({ seed: 1, requests: 1, messages: false })];
    expect(r?.messages).toBeUndefined();
    expect(r?.promptTokens).toBeGreaterThan(0);
  });

  it('rejects impossible options with a ValidationError', () => {
    expect(() => [...generateTrace({ seed: 1, requests: -1 })]).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => [...generateTrace({ seed: 1, requests: 1, tenants: 0 })]).toThrow(/tenants/);
    expect(() => [...generateTrace({ seed: 1, requests: 1, ratePerSecond: 0 })]).toThrow(/ratePerSecond/);
  });
});
