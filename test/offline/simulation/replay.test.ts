import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTollgate } from '../../../compose.js';
import { SimulatedAdapter } from '../../../adapters/simulated-adapter.js';
import { JsonlDecisionSink } from '../../../adapters/sinks/jsonl-decision-sink.js';
import { simulatePolicies, traceRowToRequest } from '../../../offline/simulation/index.js';
import { reportDecisionLog } from '../../../offline/reporting/index.js';
import { openTrace } from '../../../offline/trace/index.js';
import { loadPolicy } from '../../../policies/loader.js';
import { COST_AWARE, tempDir, writeGeneratedTrace } from './fixtures.js';

describe('one source of truth for cost', () => {
  it('simulated totals equal a plain replay through complete() and a report over its decision log', async () => {
    const dir = tempDir();
    const trace = await writeGeneratedTrace(dir, 300, 'replay');
    const policy = await loadPolicy(COST_AWARE);
    const sim = (await simulatePolicies({ policies: [policy], trace, seed: 5 })).policies[0]!;

    let now = 0;
    const adapter = new SimulatedAdapter(5);
    const log = join(dir, 'replay.jsonl');
    const engine = createTollgate({
      policy,
      adapters: { 'openai-compatible': adapter, anthropic: adapter, simulated: adapter },
      decisionLog: new JsonlDecisionSink(log, { durable: false }),
      clock: () => now,
    });
    for await (const row of await openTrace(trace)) {
      now = row.timestamp;
      await engine.complete(traceRowToRequest(row)).catch(() => undefined);
    }
    await engine.close();
    const report = await reportDecisionLog(log, { by: 'model' });
    // The simulation adds the self-hosted windows' true-ups (ledger entries, never in the records: docs/capacity.md).
    const trueUp = (model: string) => (sim.capacityWindows ?? []).filter((w) => w.model === model).reduce((a, w) => a + w.trueUpMicros + w.idleMicros, 0);
    expect(report.total).toMatchObject({
      requests: sim.requests,
      inputTokens: sim.inputTokens,
      outputTokens: sim.outputTokens,
      fullMicros: sim.fullCostMicros - sim.capacityTrueUpMicros,
      vendorMicros: sim.vendorCostMicros,
      infraMicros: sim.infraCostMicros - sim.capacityTrueUpMicros,
      opsMicros: sim.opsCostMicros,
    });
    for (const row of report.rows) expect(sim.byModel[row.key]).toMatchObject({ requests: row.requests, fullCostMicros: row.fullMicros + trueUp(row.key), vendorCostMicros: row.vendorMicros });
    expect(engine.ledger.total().fullMicros).toBe(sim.fullCostMicros - sim.capacityTrueUpMicros);
  });
});
