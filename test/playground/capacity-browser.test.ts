import { describe, expect, it } from 'vitest';
import { defaultTrace, examplePolicies } from '../../policies/bundled-files.js';
import { simulatePolicies } from '../../offline/simulation/index.js';
import { useChromiumPlayground } from './chromium-playground.js';

const pg = useChromiumPlayground();

describe('playground in Chromium: self-hosted capacity (#18)', () => {
  it('the comparison shows idle GPU cost, self-hosted utilization and latency p99 as simulatePolicies reports them', async () => {
    await pg.page.goto(pg.url);
    for (const i of [0, 1]) await expect.poll(() => pg.page.getByTestId(`policy-status-${i}`).textContent(), { timeout: 15_000 }).toMatch(/valid/);
    const run = pg.page.getByTestId('run');
    await expect.poll(() => run.isEnabled()).toBe(true);
    await run.click();
    await pg.page.getByTestId('run-time').waitFor({ timeout: 60_000 });
    const [all, costAware] = examplePolicies();
    const expected = (await simulatePolicies({ policies: [all!, costAware!], trace: defaultTrace() })).policies[1]!;
    const value = async (key: string, i: number) => pg.page.getByTestId(`total-${key}-${i}`).getAttribute('data-value');
    expect(await value('idleCostMicros', 1)).toBe(String(expected.idleCostMicros));
    expect(await value('idleCostMicros', 0)).toBe('0');
    const fleets = Object.values(expected.byModel).filter((m) => m.capacity);
    const utilization = fleets.reduce((a, m) => a + m.capacity!.busyGpuHours, 0) / fleets.reduce((a, m) => a + m.capacity!.provisionedGpuHours, 0);
    expect(Number(await value('selfHostedUtilization', 1))).toBeCloseTo(utilization, 6);
    expect(await value('selfHostedUtilization', 0)).toBe(''); // no self-hosted fleet
    expect(Number(await value('selfHostedLatencyP99Ms', 1))).toBe(Math.max(...fleets.map((m) => m.latencyP99Ms ?? 0)));
    expect(await pg.page.locator('tr[data-metric=idleCostMicros] th').textContent()).toMatch(/Idle GPU cost/);
  }, 120_000);
});
