import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTrace, examplePolicies, packageRoot } from '../../policies/bundled-files.js';
import { simulatePolicies, type SimulationReport } from '../../offline/simulation/index.js';
import { startPlayground, type PlaygroundServer } from '../../playground/server/index.js';
import { cli } from '../cli/capture-io.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(packageRoot(), 'test-output', 'playground');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server: PlaygroundServer;
let browser: Browser;
let page: Page;
let distDir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\` (CI's .ci/run does). The browser test never skips.`);
  }
  distDir = await mkdtemp(join(tmpdir(), 'tollgate-playground-dist-'));
  await build({ configFile: join(packageRoot(), 'playground', 'vite.config.ts'), logLevel: 'warn', build: { outDir: distDir, emptyOutDir: true } });
  server = await startPlayground({ port: 0, distDir });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await mkdir(OUT, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (distDir) await rm(distDir, { recursive: true, force: true });
});

/** Parses `$1,234.5678` back to micro-dollars (to the precision shown). */
const shownMicros = (text: string): number => Math.round(Number(text.replace(/[$,\s]/g, '').replace('−', '-')) * 1_000_000);

describe('playground in Chromium', () => {
  it('simulates the bundled trace with two policies and shows the same totals as simulatePolicies and tollgate simulate --json', async () => {
    await page.goto(server.url);
    for (const i of [0, 1]) await expect.poll(() => page.getByTestId(`policy-status-${i}`).textContent(), { timeout: 15_000 }).toMatch(/valid/);
    await expect.poll(() => page.getByTestId('trace-select').inputValue()).toBe('bundled');
    const run = page.getByTestId('run');
    await expect.poll(() => run.isEnabled()).toBe(true);

    const started = performance.now();
    await run.click();
    await page.getByTestId('run-time').waitFor({ timeout: 60_000 });
    const pageMs = Math.round(performance.now() - started);
    const serverMs = Number(await page.getByTestId('run-time').getAttribute('data-server-ms'));

    const [all, costAware] = examplePolicies();
    const expected: SimulationReport = await simulatePolicies({ policies: [all!, costAware!], trace: defaultTrace() });
    const viaCli = await cli('simulate', '--policy', all!, '--policy', costAware!, '--trace', defaultTrace(), '--json');
    expect(viaCli.code).toBe(0);
    const cliReport = JSON.parse(viaCli.out) as SimulationReport;

    for (const [i, p] of expected.policies.entries()) {
      expect(cliReport.policies[i]!.fullCostMicros).toBe(p.fullCostMicros);
      for (const key of ['requests', 'fullCostMicros', 'vendorCostMicros', 'infraCostMicros', 'opsCostMicros', 'fullPerMillionMicros', 'inputTokens', 'outputTokens'] as const) {
        const cell = page.getByTestId(`total-${key}-${i}`);
        expect(Number(await cell.getAttribute('data-value')), `${p.name} ${key}`).toBe(p[key]);
        expect(Number(await cell.getAttribute('data-value')), `${p.name} ${key} (CLI)`).toBe(cliReport.policies[i]![key]);
      }
      const shown = (await page.getByTestId(`total-fullCostMicros-${i}`).textContent())!;
      const decimals = shown.split('.')[1]?.length ?? 0;
      expect(Math.abs(shownMicros(shown) - p.fullCostMicros), `${p.name} shown as ${shown}`).toBeLessThanOrEqual(10 ** (6 - decimals) / 2);
      expect(await page.getByTestId(`kpi-full-${i}`).getAttribute('data-value')).toBe(String(p.fullCostMicros));
    }
    expect(await page.locator('table.compare td.delta.better, table.compare td.delta.worse').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(OUT, 'playground-compare.png'), fullPage: true });

    // Keyboard: arrow keys move between the result tabs and show their panels.
    await page.locator('[role=tab][data-tab=compare]').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('[role=tab][data-tab=cost]').getAttribute('aria-selected')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-tab'))).toBe('cost');
    await page.locator('[data-panel=cost] canvas').first().waitFor();
    await page.screenshot({ path: join(OUT, 'playground-cost.png'), fullPage: true });

    const timing = { requests: expected.trace.requests, policies: 2, pageMs, serverMs };
    await writeFile(join(OUT, 'timing.json'), `${JSON.stringify(timing, null, 2)}\n`);
    console.log(`playground: simulated the bundled trace (${timing.requests} requests × 2 policies) in the page in ${pageMs} ms (engine ${serverMs} ms)`);
  }, 90_000);

  it('renders every result view and explains one request in the debug view', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    for (const tab of ['traffic', 'tenants', 'executive', 'oncall']) {
      await page.locator(`[role=tab][data-tab=${tab}]`).click();
      const panel = page.locator(`[data-panel=${tab}]`);
      await panel.locator('table, canvas').first().waitFor();
      await panel.screenshot({ path: join(OUT, `playground-${tab}.png`) });
    }
    expect(await page.locator('[data-panel=tenants] tbody tr').count()).toBeGreaterThan(0);
    await page.locator('[role=tab][data-tab=debug]').click();
    await expect.poll(() => page.getByTestId('debug-request').locator('option').count()).toBeGreaterThan(10);
    await page.getByTestId('debug-request').selectOption({ index: 3 });
    await page.locator('[data-panel=debug] button', { hasText: 'Explain decision' }).click();
    await page.getByTestId('debug-result').locator('table').waitFor();
    expect(await page.getByTestId('debug-result').textContent()).toMatch(/Rule fired/);
    await page.locator('[data-panel=debug]').screenshot({ path: join(OUT, 'playground-debug.png') });
    expect(errors).toEqual([]);
  }, 30_000);

  it("shows each tenant's guard state and each model's circuit in the on-call view of a run", async () => {
    const editor = page.getByTestId('policy-text-0');
    const original = await editor.inputValue();
    // A tight day budget for one tenant, with every near-limit action, on the first policy.
    const guarded = `${original.trimEnd()}\ntenants:\n  marketing:\n    budgets: [{ window: day, usd: 1 }]\n    actions: [{ atFraction: 0.2, action: warn }, { atFraction: 0.5, action: throttle }, { atFraction: 0.9, action: refuse }]\n`;
    const status = page.getByTestId('policy-status-0');
    const before = await status.textContent();
    await editor.fill(guarded);
    await expect.poll(async () => { const now = await status.textContent(); return now !== before && /valid/.test(now ?? ''); }, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => page.getByTestId('run').isEnabled()).toBe(true);
    await page.getByTestId('run').click(); // replaces the previous run's run-time until this one is done
    await page.getByTestId('run-time').waitFor({ timeout: 60_000 });
    await page.locator('[role=tab][data-tab=oncall]').click();
    const section = page.locator('[data-panel=oncall] section[aria-label="all-vendor"]'); // the first policy's block
    const marketing = section.locator('[data-testid=oncall-guards] tbody tr', { hasText: 'marketing' }); // appears once the new run is shown
    await expect.poll(() => marketing.count(), { timeout: 10_000 }).toBe(1);
    const state = await marketing.locator('[data-state]').getAttribute('data-state');
    expect(['warned', 'downgraded', 'throttled', 'refused']).toContain(state);
    expect(Number(await marketing.locator('td').last().textContent())).toBeGreaterThan(0); // transitions
    expect(await section.locator('[data-testid=oncall-breakers]').locator('tbody tr', { hasText: 'gpt-4o' }).locator('[data-state]').getAttribute('data-state')).toBe('closed');
    await page.locator('[data-panel=oncall]').screenshot({ path: join(OUT, 'playground-oncall-guards.png') });
    await editor.fill(original);
  }, 90_000);

  it('shows the field path of a malformed policy as you type', async () => {
    const editor = page.getByTestId('policy-text-0');
    const text = await editor.inputValue();
    await editor.fill(text.replace('quality: 0.92', 'quality: 7').replace('window: month', 'window: fortnight'));
    await expect.poll(() => page.getByTestId('policy-status-0').textContent(), { timeout: 10_000 }).toMatch(/models\[0\]\.quality/);
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('run').isDisabled()).toBe(true);
    await page.getByTestId('policy-0').screenshot({ path: join(OUT, 'playground-policy-error.png') });
    await page.screenshot({ path: join(OUT, 'playground.png'), fullPage: false });
  }, 30_000);
});
