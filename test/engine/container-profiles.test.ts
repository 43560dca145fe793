import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlDecisionSink } from '../../adapters/sinks/jsonl-decision-sink.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { MemoryBudgetStore } from '../../adapters/stores/memory-budget-store.js';
import { MemoryRateLimiter } from '../../adapters/stores/memory-rate-limiter.js';
import { RedisBudgetStore } from '../../adapters/stores/redis-budget-store.js';
import { RedisRateLimiter } from '../../adapters/stores/redis-rate-limiter.js';
import { createTollgate, LazyPostgresSink, tollgateContainer } from '../../compose.js';
import { TOKENS } from '../../engine/container.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';
import { connectTestPg, dropSchema, TEST_PG_URL, testSchema } from '../support/postgres.js';
import { simPolicy } from '../support/policies.js';
import { connectTestRedis, deletePrefix, testPrefix } from '../support/redis.js';

/** compose.ts: deployment profiles as inversify container modules, and the documented way to rebind a seam. */
const dir = mkdtempSync(join(tmpdir(), 'tg-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ask = { tenant: 'acme', messages: [{ role: 'user' as const, content: 'hello' }] };

describe('deployment profiles', () => {
  it('memory (default): in-process stores, the log in memory or in a JSONL file', () => {
    const c = tollgateContainer({ policy: simPolicy() });
    expect(c.get(TOKENS.BudgetStore)).toBeInstanceOf(MemoryBudgetStore);
    expect(c.get(TOKENS.RateLimiter)).toBeInstanceOf(MemoryRateLimiter);
    expect(c.get(TOKENS.DecisionSink)).toBeInstanceOf(MemoryDecisionSink);
    expect(c.isBound(TOKENS.Cache)).toBe(false);
    expect(tollgateContainer({ policy: simPolicy(), decisionLog: join(dir, 'd.jsonl') }).get(TOKENS.DecisionSink)).toBeInstanceOf(JsonlDecisionSink);
  });

  it('redis: budgets and rate limits rebound to Redis; explicit options still win', async () => {
    const redis = await connectTestRedis();
    const keyPrefix = testPrefix();
    try {
      const c = tollgateContainer({ policy: simPolicy(), redis: { client: redis, keyPrefix } });
      expect(c.get(TOKENS.BudgetStore)).toBeInstanceOf(RedisBudgetStore);
      expect(c.get(TOKENS.RateLimiter)).toBeInstanceOf(RedisRateLimiter);
      const mine = new MemoryBudgetStore({});
      expect(tollgateContainer({ policy: simPolicy(), redis: { client: redis, keyPrefix }, budgetStore: mine }).get(TOKENS.BudgetStore)).toBe(mine);
      const tg = createTollgate({ policy: simPolicy(), redis: { client: redis, keyPrefix } });
      expect((await tg.complete(ask)).model).toBeTruthy();
      await tg.close();
    } finally {
      await deletePrefix(redis, keyPrefix);
      redis.disconnect();
    }
  });

  it('postgres: the decision log is bound lazily — no connection until the first record, then it lands in PostgreSQL', async () => {
    const pool = await connectTestPg();
    const schema = testSchema('tg_profile');
    try {
      const tg = createTollgate({ policy: simPolicy(), postgres: { url: TEST_PG_URL, schema } });
      const sink = tollgateContainer({ policy: simPolicy(), postgres: { url: TEST_PG_URL, schema } }).get<DecisionSink>(TOKENS.DecisionSink);
      expect(sink).toBeInstanceOf(LazyPostgresSink);
      expect((sink as LazyPostgresSink).opened).toBe(false);
      const r = await tg.complete(ask);
      await tg.close();
      const rows = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".decisions WHERE request_id = $1`, [r.id]);
      expect(rows.rows[0].n).toBe(1);
    } finally {
      await dropSchema(pool, schema);
      await pool.end();
    }
  });
});

describe('rebinding a seam', () => {
  it('options.container runs last and may rebind any seam by its token', async () => {
    const mine = new MemoryDecisionSink();
    const tg = createTollgate({ policy: simPolicy(), container: (c) => void c.rebind(TOKENS.DecisionSink).toConstantValue(mine) });
    const r = await tg.complete(ask);
    expect(mine.records.map((x) => x.requestId)).toEqual([r.id]);
  });
});
