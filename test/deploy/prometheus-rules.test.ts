import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TollgateMetrics } from '../../adapters/observers/prometheus-metrics.js';
import { prometheusTool } from './prometheus-tools.js';

const DIR = join(import.meta.dirname, '../../deploy/prometheus');
const RULE_FILES = ['recording.rules.yml', 'alerting.rules.yml'];
const TESTS = readdirSync(join(DIR, 'tests')).filter((f) => f.endsWith('.test.yml')).map((f) => join('tests', f));

function promtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(prometheusTool('promtool'), args, { cwd: DIR, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

interface Rule { record?: string; alert?: string; expr: string; labels?: Record<string, string> }
const rules = (): Rule[] => RULE_FILES.flatMap((f) => (parse(readFileSync(join(DIR, f), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));

describe('deploy/prometheus rules', () => {
  it('pass `promtool check rules`', () => {
    const r = promtool('check', 'rules', ...RULE_FILES);
    expect(r.out).toContain('SUCCESS');
    expect(r.status, r.out).toBe(0);
  });

  it('pass their `promtool test rules` unit tests (each alert fires on a spike and stays silent without one)', () => {
    const r = promtool('test', 'rules', ...TESTS);
    expect(r.status, r.out).toBe(0);
    // Every alert has a test that expects it to fire, and one that expects silence.
    const tests = TESTS.map((f) => readFileSync(join(DIR, f), 'utf8')).join('\n');
    for (const a of rules().filter((x) => x.alert)) {
      const blocks = tests.split('alertname: ').slice(1).filter((b) => b.startsWith(`${a.alert}\n`));
      expect(blocks.some((b) => /exp_alerts:\s*\n\s*- exp_labels/.test(b)), `${a.alert} fires somewhere`).toBe(true);
      expect(blocks.some((b) => /exp_alerts: \[\]/.test(b)), `${a.alert} stays silent somewhere`).toBe(true);
    }
  }, 120_000);

  it('use only metric names the gateway exports, and every alert has a page or ticket severity', async () => {
    const m = new TollgateMetrics({ policy: { tenants: { a: { budgets: [{ window: 'month', usd: 1 }], actions: [] } }, models: [{ id: 'm', infra: { gpus: 1, tokensPerSecond: 10, gpuHourlyUsd: 1 } }] as never } });
    const exported = new Set((await m.registry.getMetricsAsJSON()).map((x) => x.name).flatMap((n) => [n, `${n}_bucket`, `${n}_sum`, `${n}_count`]));
    const recorded = new Set(rules().flatMap((r) => (r.record ? [r.record] : [])));
    for (const r of rules()) {
      for (const name of r.expr.match(/\btollgate[_:][a-z0-9_:]+/g) ?? []) {
        expect(exported.has(name) || recorded.has(name), `${name} in ${r.record ?? r.alert}`).toBe(true);
      }
      if (r.alert) expect(['page', 'ticket']).toContain(r.labels?.severity);
    }
  });
});
