import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../../../engine/decision-record.js';
import { DECISION_COLUMNS, decisionRow, ensurePartitions, migrate, MIGRATIONS, PostgresDecisionSink } from '../../../adapters/postgres/index.js';
import { chargeback } from '../../../offline/billing/chargeback.js';
import type { ChargebackReport, ChargebackRow } from '../../../offline/billing/index.js';
import { chargebackDecisionStore, PostgresDecisionQueries, reportDecisionLog, reportDecisionStore, type LogReport } from '../../../offline/reporting/index.js';
import { cli } from '../../cli/capture-io.js';
import { tempDir } from '../../offline/simulation/fixtures.js';
import { sampleRecord } from '../../support/decision-records.js';
import { connectTestPg, dropSchema, TEST_PG_URL, testSchema } from '../../support/postgres.js';

/**
 * The vendor cost parts (#15 item 6) in the PostgreSQL store: the rollups keep fresh input, cache reads,
 * cache writes, output, the token subsets and the served service tier apart, so `chargeback --db` equals
 * chargeback from the JSONL log field for field with every part shown; schema migration 2 backfills
 * rows written under schema 1.
 */
const TIERS = [undefined, 'flex', 'priority', 'default'];

/** Varied records: most with parts (Anthropic-like cache reads and 5-minute/1-hour writes, reasoning), some logged without. */
function partsRecords(n: number, tag: string): DecisionRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const base = sampleRecord(i, { requestId: `${tag}-${i}` });
    const r = base.quality === undefined ? base : { ...base, quality: (i % 4) / 4 }; // exact in binary: float sums agree in any order
    if (r.cost.vendor === 0 || i % 10 === 3) return r; // cache hits, failures, and records from before parts were logged
    const parts = { input: 40 + (i % 7), cachedInput: 3 * (i % 5), cacheWrite: i % 3 ? 25 + (i % 4) : 0, output: 90 + (i % 11) };
    const vendor = parts.input + parts.cachedInput + parts.cacheWrite + parts.output;
    const write = i % 3 ? 12 : 0;
    return {
      ...r,
      tokens: { ...r.tokens, input: r.tokens.input + r.tokens.cached + write, ...(write && { cacheWrite: write, cacheWrite1h: i % 2 ? 4 : 0 }), ...(i % 4 === 1 && { reasoning: 3 }) },
      cost: { vendor, infra: r.cost.infra, ops: r.cost.ops, full: vendor + r.cost.infra + r.cost.ops, parts },
      ...(TIERS[i % 4] && { serviceTier: TIERS[i % 4] }),
    } as DecisionRecord;
  });
}

const partsTotal = (r: ChargebackRow) => r.vendorInputMicros + r.vendorCachedInputMicros + r.vendorCacheWriteMicros + r.vendorOutputMicros + r.vendorUnsplitMicros;

let admin: pg.Pool;
let dir: string;
beforeAll(async () => {
  admin = await connectTestPg();
  dir = tempDir('tollgate-pg-parts-');
});
afterAll(async () => {
  await admin.end();
});

describe('cost parts in the PostgreSQL store', () => {
  it('chargeback --db equals chargeback from the JSONL log, every part included; report by service tier too', async () => {
    const schema = testSchema('tgparts');
    const db = ['--db', TEST_PG_URL, '--db-schema', schema];
    const log = join(dir, 'parts.jsonl');
    const records = partsRecords(600, 'cp');
    writeFileSync(log, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    try {
      expect((await cli('db', 'import', log, ...db)).code).toBe(0);
      const json = <T>(r: { code: number; out: string; err: string }): T => {
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        return JSON.parse(r.out) as T;
      };
      const fromLog = json<ChargebackReport>(await cli('chargeback', '--log', log, '--month', '2026-03', '--format', 'json'));
      const fromDb = json<ChargebackReport>(await cli('chargeback', ...db, '--month', '2026-03', '--format', 'json'));
      expect(fromDb).toEqual(fromLog);
      const t = fromLog.total;
      // The parts are there (a test that cannot fail on zeros would prove nothing) and sum to the vendor cost.
      for (const k of ['vendorInputMicros', 'vendorCachedInputMicros', 'vendorCacheWriteMicros', 'vendorOutputMicros', 'vendorUnsplitMicros', 'cacheWriteTokens', 'cacheWrite1hTokens', 'reasoningTokens'] as const) expect(t[k], k).toBeGreaterThan(0);
      for (const row of [...fromLog.tenants, ...fromLog.costCenters, t]) {
        expect(partsTotal(row)).toBe(row.vendorMicros);
        expect(Object.values(row.vendorByServiceTier).reduce((a, b) => a + b, 0)).toBe(row.vendorMicros);
      }
      expect(Object.keys(t.vendorByServiceTier)).toEqual(['(none)', 'default', 'flex', 'priority']);
      // Exact against the records themselves: each part summed once.
      const sumOf = (f: (r: DecisionRecord) => number) => records.reduce((s, r) => s + f(r), 0);
      expect(t.vendorCachedInputMicros).toBe(sumOf((r) => r.cost.parts?.cachedInput ?? 0));
      expect(t.vendorCacheWriteMicros).toBe(sumOf((r) => r.cost.parts?.cacheWrite ?? 0));
      expect(t.vendorUnsplitMicros).toBe(sumOf((r) => (r.cost.parts ? 0 : r.cost.vendor)));
      expect(t.cacheWrite1hTokens).toBe(sumOf((r) => r.tokens.cacheWrite1h ?? 0));
      for (const by of ['serviceTier', 'tenant']) {
        const a = json<LogReport>(await cli('report', '--log', log, '--by', by, '--json'));
        const b = json<LogReport>(await cli('report', ...db, '--by', by, '--json'));
        expect({ ...b, log }).toEqual(a);
      }
      const csv = (await cli('chargeback', ...db, '--month', '2026-03', '--format', 'csv')).out.split('\n');
      expect(csv[2]).toMatch(/,vendor_input_usd,vendor_cached_input_usd,vendor_cache_write_usd,vendor_output_usd,vendor_unsplit_usd,vendor_by_service_tier$/);
      const text = (await cli('chargeback', ...db, '--month', '2026-03')).out;
      expect(text).toMatch(/Vendor cost by part/);
    } finally {
      await dropSchema(admin, schema);
    }
  });

  it('migration 2 backfills a schema-1 store: its chargeback then equals the records’, parts and service tiers included', async () => {
    const schema = testSchema('tgmig2');
    const s = `"${schema}"`;
    const records = partsRecords(300, 'mg');
    try {
      await migrate(admin as never, schema, MIGRATIONS.slice(0, 1));
      await ensurePartitions(admin as never, schema, ['2026-03-01', '2026-03-02', '2026-03-03'], new Set());
      // Rows as schema 1 stored them: its columns only, its rollup grain (no service tier).
      const v1 = DECISION_COLUMNS.map(([n], i) => [n, i] as const).filter(([n]) => !MIGRATION_2_COLUMNS.has(n));
      for (const r of records) {
        const row = decisionRow(r);
        await admin.query(`INSERT INTO ${s}.decisions (${v1.map(([n]) => n).join(', ')}) VALUES (${v1.map((_, j) => `$${j + 1}`).join(', ')})`, v1.map(([, i]) => row[i]));
      }
      await admin.query(`INSERT INTO ${s}.daily_rollup SELECT day, tenant, model_key, coalesce(rule, '(none)'), coalesce(tier, '(none)'), count(*),
        count(*) FILTER (WHERE outcome = 'ok'), count(*) FILTER (WHERE outcome = 'error'), count(*) FILTER (WHERE outcome = 'refused'),
        sum(input_tokens), sum(output_tokens), sum(cached_tokens), sum(vendor_micros), sum(infra_micros), sum(ops_micros), sum(full_micros),
        count(*) FILTER (WHERE cache_hit), sum(cache_saved_micros), count(*) FILTER (WHERE fallbacks > 0), coalesce(sum(quality), 0), count(quality)
        FROM ${s}.decisions GROUP BY 1, 2, 3, 4, 5`);
      expect((await migrate(admin as never, schema)).applied).toEqual([2]);
      const q = await PostgresDecisionQueries.open(TEST_PG_URL, schema);
      try {
        expect(await chargebackDecisionStore(q, { month: '2026-03' })).toEqual(chargeback(records, { month: '2026-03' }));
        const viaLog = join(dir, 'mig.jsonl');
        writeFileSync(viaLog, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
        expect({ ...(await reportDecisionStore(q, { by: 'serviceTier' })), log: viaLog }).toEqual(await reportDecisionLog(viaLog, { by: 'serviceTier' }));
      } finally {
        await q.close();
      }
      // The sink writes into the migrated store and its rollups stay the sums of the rows.
      const sink = await PostgresDecisionSink.open({ url: TEST_PG_URL, schema });
      const more = partsRecords(40, 'after');
      await Promise.all(more.map((r) => sink.append(r)));
      await sink.close();
      const sums = await admin.query(`SELECT (SELECT sum(vendor_cached_input_micros) FROM ${s}.daily_rollup) AS r, (SELECT sum(vendor_cached_input_micros) FROM ${s}.decisions) AS d`);
      expect(Number(sums.rows[0].r)).toBe([...records, ...more].reduce((a, r) => a + (r.cost.parts?.cachedInput ?? 0), 0));
      expect(sums.rows[0].r).toBe(sums.rows[0].d);
    } finally {
      await dropSchema(admin, schema);
    }
  });
});

const MIGRATION_2_COLUMNS = new Set(['service_tier', 'cache_write_tokens', 'cache_write_1h_tokens', 'reasoning_tokens', 'vendor_input_micros', 'vendor_cached_input_micros', 'vendor_cache_write_micros', 'vendor_output_micros']);
