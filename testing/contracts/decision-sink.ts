import { describe, expect, it } from 'vitest';
import { decisionRecordSchema, type DecisionRecord } from '../../engine/decision-record.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';
import { itSpeaksV1 } from './specification.js';

/** A fresh sink, and how to read back what it made durable (after `close`; a database reads in `time` order). */
export interface DecisionSinkFixture {
  sink: DecisionSink;
  read(): Promise<DecisionRecord[]>;
}

/** A valid decision record with the given request id (at `2030-01-01T00:00:00Z` + `offsetMs`). */
export function sampleRecord(requestId: string, tenant = 'acme', offsetMs = 0): DecisionRecord {
  return decisionRecordSchema.parse({
    v: 1,
    time: new Date(Date.UTC(2030, 0, 1) + offsetMs).toISOString(),
    requestId,
    tenant,
    policy: { name: 'contract', version: 'v0' },
    chosen: 'm',
    model: 'm',
    tier: 'vendor',
    attempts: 1,
    tokens: { input: 10, output: 5, cached: 0, source: 'vendor' },
    cost: { vendor: 100, infra: 0, ops: 5, full: 105 },
    latencyMs: 12,
    outcome: 'ok',
  });
}

/** The behaviour every DecisionSink must show (engine/seams/decision-sink.ts). */
export function decisionSinkContract(name: string, make: () => Promise<DecisionSinkFixture>): void {
  describe(`${name}: DecisionSink contract`, () => {
    itSpeaksV1(async () => {
      const f = await make();
      await f.sink.close();
      return f.sink;
    });

    it('keeps every appended record, in order, once each', async () => {
      const f = await make();
      const ids = Array.from({ length: 25 }, (_, i) => `seq-${i}`);
      for (const [i, id] of ids.entries()) await f.sink.append(sampleRecord(id, 'acme', i)); // 1 ms apart: a store may order by time
      await f.sink.close();
      expect((await f.read()).map((r) => r.requestId)).toEqual(ids);
    });

    it('keeps every record of concurrent appends exactly once, unchanged', async () => {
      const f = await make();
      const ids = Array.from({ length: 100 }, (_, i) => `par-${i}`);
      await Promise.all(ids.map((id) => f.sink.append(sampleRecord(id, id.endsWith('7') ? 'other' : 'acme'))));
      await f.sink.close();
      const back = await f.read();
      expect(back.map((r) => r.requestId).sort()).toEqual([...ids].sort());
      expect(back.find((r) => r.requestId === 'par-7')).toEqual(sampleRecord('par-7', 'other'));
    });

    it('rejects appends after close with sink_closed; close is idempotent', async () => {
      const f = await make();
      await f.sink.append(sampleRecord('before'));
      await f.sink.close();
      await f.sink.close();
      await expect(f.sink.append(sampleRecord('after'))).rejects.toMatchObject({ code: 'sink_closed' });
      expect((await f.read()).map((r) => r.requestId)).toEqual(['before']);
    });
  });
}
