import { appendFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LogReport } from '../../offline/reporting/index.js';
import type { SimulationReport } from '../../offline/simulation/index.js';
import { COST_AWARE, tempDir, writeGeneratedTrace } from '../offline/simulation/fixtures.js';
import { cli, expectOneLineError } from './capture-io.js';

let dir: string;
let log: string;
let sim: SimulationReport;
beforeAll(async () => {
  dir = tempDir('tollgate-cli-report-');
  const trace = await writeGeneratedTrace(dir, 400, 'cli-report');
  const r = await cli('simulate', '--policy', COST_AWARE, '--trace', trace, '--json', '--out', join(dir, 'logs'));
  sim = JSON.parse(r.out) as SimulationReport;
  log = join(dir, 'logs', 'cost-aware.decisions.jsonl');
});

describe('tollgate report', () => {
  it('--json: ledger totals equal the simulation that wrote the log', async () => {
    const r = await cli('report', '--log', log, '--json');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out) as LogReport;
    const p = sim.policies[0]!;
    expect(rep.total).toMatchObject({ requests: p.requests, inputTokens: p.inputTokens, outputTokens: p.outputTokens, fullMicros: p.fullCostMicros - p.capacityTrueUpMicros, vendorMicros: p.vendorCostMicros });
    expect(rep.by).toBe('tenant');
    expect(rep.rows.map((x) => x.key).sort()).toEqual(Object.keys(p.byTenant).sort());
    expect(rep.rows.reduce((a, x) => a + x.fullMicros, 0)).toBe(p.fullCostMicros - p.capacityTrueUpMicros); // records only (#18)
    expect(rep.inflation.days.reduce((a, d) => a + d.requests, 0)).toBe(p.requests);
    expect(rep.topDrivers[0]!.fullMicros).toBeGreaterThanOrEqual(rep.topDrivers.at(-1)!.fullMicros);
    expect(rep.skipped).toMatchObject({ torn: 0, invalid: 0 });
  });

  it('prints tables by model, inflation and drivers', async () => {
    const r = await cli('report', '--log', log, '--by', 'model');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^decision log .*: 400 requests, full cost \$/);
    expect(r.out).toMatch(/\ngpt-4o-mini\s+[\d,]+/);
    expect(r.out).toMatch(/token inflation \(tokens per request per day\): trend [+-]\d/);
    expect(r.out).toMatch(/top cost drivers \(tenant × model\)/);
  });

  it('skips and counts torn and invalid lines', async () => {
    const damaged = join(dir, 'damaged.jsonl');
    copyFileSync(log, damaged);
    appendFileSync(damaged, '{"v":1,"nonsense":true}\n{"v":1,"time":"2024-06-0');
    const r = await cli('report', '--log', damaged, '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as LogReport).skipped).toMatchObject({ torn: 1, invalid: 1 });
    expect(r.err).toMatch(/^skipped 1 invalid and 1 torn lines \(first: line 401: /);
  });

  it('bad input: one line, non-zero exit', async () => {
    expectOneLineError(await cli('report', '--log', join(dir, 'missing.jsonl')), /decision log not found/);
    expectOneLineError(await cli('report'), /give --log FILE \(JSONL decision log\) or --db URL/);
    expectOneLineError(await cli('report', '--log', log, '--by', 'planet'), /--by must be one of tenant, model, rule, day, tier/);
    expectOneLineError(await cli('report', '--log', log, '--fast'), /unknown option '--fast'/);
    const help = await cli('report', '--help');
    expect(help.out).toMatch(/Examples?:\n\s+\$ tollgate report --log/);
  });
});
