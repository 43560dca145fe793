import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy, resolvePolicy, type LoadedPolicy } from '../../../policies/loader.js';
import { simulatePolicies, type SimulationReport } from '../../../offline/simulation/index.js';
import { fastReplayBlocker } from '../../../offline/simulation/fast-replay.js';
import type { DecisionRecord } from '../../../engine/decision-record.js';
import { ALL_VENDOR, COST_AWARE, tempDir, writeGeneratedTrace, writeLines } from './fixtures.js';

/**
 * The fast replay must settle exactly the records the full engine settles: same decision-log lines
 * (byte for byte), same report. The policies put every near-limit path and refusal on the trace:
 * month/day/rolling budgets that refuse, a downgrade, a throttle (on trace time: simulatePolicies gives
 * the engine a sleep that resolves at once, so no run waits for real), a refuse action, a warn, and
 * tenant and model rate limits.
 */
const TENANTS = {
  'acme-dev': { budgets: [{ window: 'month', usd: 0.4 }], actions: [{ atFraction: 0.5, action: 'downgrade', toTier: 'local-gpu' }] },
  helpdesk: { rateLimit: { requestsPerMinute: 2, tokensPerMinute: 6_000 } },
  'finance-ops': { budgets: [{ window: 'rolling-hour', usd: 0.05 }], actions: [{ atFraction: 0.6, action: 'throttle' }] },
  research: { budgets: [{ window: 'day', usd: 0.2 }, { window: 'month', tokens: 400_000 }], actions: [{ atFraction: 0.3, action: 'warn' }, { atFraction: 0.9, action: 'refuse' }] },
  marketing: { budgets: [{ window: 'day', usd: 0.05, tag: 'batch' }, { window: 'month', usd: 1 }], actions: [{ atFraction: 0.7, action: 'downgrade', toTier: 'distilled' }] },
};

async function variant(file: string): Promise<LoadedPolicy> {
  const base = await loadPolicy(file);
  const models = base.policy.models.map((m) => m.id);
  return resolvePolicy({ ...base.policy, name: `${base.policy.name}-limited`, tenants: TENANTS, modelLimits: { [models[0]!]: { requestsPerMinute: 30 } } });
}

function readLog(file: string): { text: string; records: DecisionRecord[] } {
  const text = readFileSync(file, 'utf8');
  return { text, records: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as DecisionRecord) };
}

/** The full engine's run. Its throttles would wait up to a second of real time each without the trace-time sleep. */
function fullEngine(policies: LoadedPolicy[], trace: string, outDir?: string): Promise<SimulationReport> {
  return simulatePolicies({ policies, trace, outDir, engine: 'full' });
}

let dir: string;
let trace: string;
let policies: LoadedPolicy[];
beforeAll(async () => {
  dir = tempDir('tollgate-fast-');
  trace = await writeGeneratedTrace(dir, 2_000, 'fast-replay', false);
  policies = [await variant(COST_AWARE), await variant(ALL_VENDOR), await loadPolicy(COST_AWARE)];
});

describe('fast replay', () => {
  it('settles the same records and report as the full engine (budgets, rate limits, downgrade, throttle, refuse, warn)', async () => {
    const fastDir = join(dir, 'fast');
    const fast = await simulatePolicies({ policies, trace, outDir: fastDir, engine: 'fast' });

    const full = await fullEngine(policies, trace, join(dir, 'full'));
    expect(fast).toEqual(full);
    const p = fast.policies[0]!;
    expect(p.refused.budget).toBeGreaterThan(0);
    expect(p.refused.rateLimit).toBeGreaterThan(0);
    for (const r of fast.policies) expect(r.requests).toBe(2_000);

    const seen = new Set<string>();
    for (const r of policies) {
      const name = r.policy.name;
      const a = readLog(join(fastDir, `${name}.decisions.jsonl`));
      const b = readLog(join(dir, 'full', `${name}.decisions.jsonl`));
      expect(a.records.length).toBe(2_000);
      for (let i = 0; i < a.records.length; i++) expect(a.records[i], `${name} record ${i}`).toEqual(b.records[i]);
      expect(a.text).toBe(b.text);
      for (const rec of a.records) {
        for (const act of rec.actions ?? []) seen.add(act.replace(/:\d+ms$/, ''));
        if (rec.error) seen.add(rec.error.code);
      }
    }
    for (const kind of ['downgrade:local-gpu', 'throttle', 'warn', 'refuse', 'budget_exceeded', 'budget_action_refused', 'rate_limited']) expect([...seen]).toContain(kind);
  }, 180_000);

  it('reads the trace on a worker thread to the same report and the same decision logs', async () => {
    const thread = await simulatePolicies({ policies, trace, outDir: join(dir, 'thread'), engine: 'fast', traceWorker: false });
    const worker = await simulatePolicies({ policies, trace, outDir: join(dir, 'worker'), engine: 'fast', traceWorker: true });
    const noLogs = await simulatePolicies({ policies, trace, engine: 'fast', traceWorker: true });
    expect(worker).toEqual(thread);
    expect(noLogs).toEqual(thread);
    for (const p of policies) {
      const log = `${p.policy.name}.decisions.jsonl`;
      expect(readLog(join(dir, 'worker', log)).text).toBe(readLog(join(dir, 'thread', log)).text);
    }
  }, 60_000);

  it('agrees on rows with messages (counted prompts, classified text)', async () => {
    const withText = await writeGeneratedTrace(dir, 300, 'fast-replay-text', true);
    const fast = await simulatePolicies({ policies, trace: withText, engine: 'fast' });
    expect(fast).toEqual(await fullEngine(policies, withText));
    expect(Object.keys(fast.policies[0]!.byModel).length).toBeGreaterThan(1);
  }, 120_000);

  it('agrees on a trace that repeats request ids (rows are requests, not client retries)', async () => {
    const lines = readFileSync(trace, 'utf8').split('\n').filter(Boolean).slice(0, 600);
    const repeated = writeLines(dir, 'repeated-ids.jsonl', lines.map((l, i) => l.replace(/"id":"[^"]*"/, `"id":"dup-${i % 150}"`)));
    const fast = await simulatePolicies({ policies, trace: repeated, outDir: join(dir, 'dup-fast'), engine: 'fast' });
    expect(fast).toEqual(await fullEngine(policies, repeated, join(dir, 'dup-full')));
    for (const p of policies) {
      const log = `${p.policy.name}.decisions.jsonl`;
      const a = readLog(join(dir, 'dup-fast', log));
      expect(a.records.length).toBe(600);
      expect(a.text).toBe(readLog(join(dir, 'dup-full', log)).text);
    }
  }, 120_000);

  it('runs the engine’s loop detection on repeated prompts (warn, throttle, refuse) to the same records', async () => {
    const withText = await writeGeneratedTrace(dir, 400, 'fast-replay-loops', true);
    const base = await loadPolicy(COST_AWARE);
    const looping = (['warn', 'throttle', 'refuse'] as const).map((action) =>
      resolvePolicy({ ...base.policy, name: `loops-${action}`, loopDetection: { minPromptChars: 1, match: 'prefix', prefixChars: 8, windowMs: 3_600_000, maxRepeats: 2, action } }),
    );
    const fast = await simulatePolicies({ policies: looping, trace: withText, outDir: join(dir, 'loops-fast'), engine: 'fast' });
    expect(fast).toEqual(await fullEngine(looping, withText, join(dir, 'loops-full')));
    const seen = new Set<string>();
    for (const p of looping) {
      const log = `${p.policy.name}.decisions.jsonl`;
      const a = readLog(join(dir, 'loops-fast', log));
      expect(a.text).toBe(readLog(join(dir, 'loops-full', log)).text);
      for (const rec of a.records) {
        for (const act of rec.actions ?? []) seen.add(act.split(':').slice(0, 2).join(':'));
        if (rec.error) seen.add(rec.error.code);
      }
    }
    for (const kind of ['loop:warn', 'loop:throttle', 'loop:refuse', 'loop_detected']) expect([...seen]).toContain(kind);
  }, 120_000);

  it('is chosen automatically only when exact; `fast` refuses a policy it cannot replay exactly', async () => {
    const base = await loadPolicy(COST_AWARE);
    expect(fastReplayBlocker(base)).toBeUndefined();
    const flaky = resolvePolicy({ ...base.policy, name: 'flaky', models: base.policy.models.map((m, i) => (i === 0 ? { ...m, simulate: { latencyMs: 0, failureRate: 0.2 } } : m)) });
    expect(fastReplayBlocker(flaky)).toMatch(/failureRate/);
    const learned = resolvePolicy({ ...base.policy, name: 'learned', classifier: { kind: 'learned', artifact: 'x' } });
    expect(fastReplayBlocker(learned)).toMatch(/learned/);
    await expect(simulatePolicies({ policies: [flaky], trace, engine: 'fast' })).rejects.toThrow(/not exact/);
    const auto = await simulatePolicies({ policies: [flaky, base], trace });
    const full = await simulatePolicies({ policies: [flaky, base], trace, engine: 'full' });
    expect(auto).toEqual(full);
  }, 120_000);
});
