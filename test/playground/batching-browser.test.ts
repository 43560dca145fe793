import { describe, expect, it } from 'vitest';
import { defaultTrace, fleetExamplePolicy } from '../../policies/bundled-files.js';
import { batchSizeTradeoff } from '../../offline/simulation/index.js';
import { useChromiumPlayground } from './chromium-playground.js';

const pg = useChromiumPlayground();

describe('playground in Chromium: the batch-size trade-off of a self-hosted model (#18)', () => {
  it('the Batching tab shows, per batch size, the cost, utilization and latency batchSizeTradeoff reports', async () => {
    await pg.page.goto(pg.url);
    const slot = pg.page.getByTestId('policy-0');
    await slot.locator('select').selectOption('self-hosted-fleet');
    await slot.getByRole('button', { name: 'Load example' }).click();
    await expect.poll(() => pg.page.getByTestId('policy-status-0').textContent(), { timeout: 15_000 }).toMatch(/valid/);
    await pg.page.getByRole('tab', { name: 'Batching' }).click();
    await pg.page.getByTestId('batching-run').click();
    const table = pg.page.getByTestId('batching-table-llama-3.1-8b-vllm');
    await table.waitFor({ timeout: 60_000 });

    const [expected] = await batchSizeTradeoff({ policy: fleetExamplePolicy(), trace: defaultTrace(), traceOptions: { onError: 'skip' } });
    expect(expected!.rows.map((r) => r.maxBatch)).toEqual([1, 8, 32, 64]);
    const read = (field: string) => table.locator(`tbody [data-field=${field}]`).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    expect(await read('maxBatch')).toEqual([1, 8, 32, 64]); // sorted by batch size
    expect(await read('infraCostMicros')).toEqual(expected!.rows.map((r) => r.infraCostMicros));
    expect(await read('policyFullCostMicros')).toEqual(expected!.rows.map((r) => r.policyFullCostMicros));
    expect(await read('share')).toEqual(expected!.rows.map((r) => r.share));
    expect(await read('utilization')).toEqual(expected!.rows.map((r) => r.utilization));
    expect(await read('latencyP99Ms')).toEqual(expected!.rows.map((r) => r.latencyP99Ms));
    expect(await read('peakReplicas')).toEqual(expected!.rows.map((r) => r.peakReplicas));
    expect(await table.locator('caption').textContent()).toMatch(/llama-3\.1-8b-vllm: 5,\d{3} requests at each batch size/);
  }, 180_000);

  it('says so for a policy without a multi-point curve', async () => {
    await pg.page.getByTestId('batching-policy').selectOption('1'); // cost-aware: one-point infra curves
    await pg.page.getByTestId('batching-run').click();
    await expect.poll(() => pg.page.getByTestId('batching-empty').textContent(), { timeout: 60_000 }).toMatch(/no self-hosted model with a throughput curve/);
  }, 90_000);
});
