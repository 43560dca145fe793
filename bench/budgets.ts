import { randomBytes } from 'node:crypto';
import { deletePrefix } from '../test/support/redis.js';
import { Redis } from 'ioredis';
import type { Policy } from '../index.js';
import type { BudgetStore } from '../index.js';
import { MemoryBudgetStore } from '../index.js';
import { RedisBudgetStore } from '../adapters/redis/index.js';
import { printTable, writeResult } from './stats.js';

/**
 * Budget-store throughput: reserve+settle pairs per second for the in-process store and the Redis
 * store, next to a plain Redis INCRBY round trip measured in the same run on the same connection
 * (the floor any Redis-backed counter pays). Sequential = one operation at a time (latency-bound);
 * pipelined = `CONCURRENCY` operations in flight on one connection (throughput-bound).
 * Redis: `TOLLGATE_REDIS_URL` or redis://127.0.0.1:6379; without one the Redis rows are skipped.
 */
const SECONDS = 1;
const CONCURRENCY = 64;
const tenants: Policy['tenants'] = {
  bench: { budgets: [{ window: 'month', usd: 1e9 }, { window: 'rolling-hour', tokens: 1e15 }], actions: [] },
};

interface Row {
  case: string;
  mode: 'sequential' | 'pipelined';
  ops: number;
  opsPerSec: number;
  meanUs: number;
}

/** Runs `op` for ~SECONDS with `inFlight` concurrent loops; returns completed ops and wall time. */
async function measure(inFlight: number, op: (i: number) => Promise<unknown>): Promise<{ ops: number; seconds: number }> {
  let i = 0;
  const warmEnd = Date.now() + 200;
  while (Date.now() < warmEnd) await op(i++);
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < end) {
        await op(i++);
        ops++;
      }
    }),
  );
  return { ops, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

function row(name: string, mode: Row['mode'], inFlight: number, m: { ops: number; seconds: number }): Row {
  const opsPerSec = m.ops / m.seconds;
  return { case: name, mode, ops: m.ops, opsPerSec: Math.round(opsPerSec), meanUs: Math.round(((m.seconds * 1e6) / m.ops) * inFlight * 10) / 10 };
}

const reserveSettle = (store: BudgetStore, prefix: string) => async (i: number) => {
  const r = await store.reserve({ tenant: 'bench', requestId: `${prefix}${i}`, micros: 2_000, tokens: 1_500 });
  await store.settle(r, { micros: 1_700, tokens: 1_200 });
};

export async function runBudgetsBench(outDir: string): Promise<Record<string, unknown>> {
  const rows: Row[] = [];
  const memory = new MemoryBudgetStore(tenants);
  rows.push(row('memory reserve+settle', 'sequential', 1, await measure(1, reserveSettle(memory, 'ms'))));
  rows.push(row('memory reserve+settle', 'pipelined', CONCURRENCY, await measure(CONCURRENCY, reserveSettle(memory, 'mp'))));

  const url = process.env.TOLLGATE_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  let redisError: string | undefined;
  const ratios: Record<string, number> = {};
  try {
    await redis.connect();
    const prefix = `tollgate-bench:${randomBytes(4).toString('hex')}:`;
    const store = new RedisBudgetStore({ redis, tenants, keyPrefix: prefix, doneTtlMs: 60_000 });
    const counter = `${prefix}incrby`;
    try {
      for (const [mode, n] of [['sequential', 1], ['pipelined', CONCURRENCY]] as const) {
        const incr = row('redis INCRBY round trip', mode, n, await measure(n, () => redis.incrby(counter, 1_700)));
        const rs = row('redis reserve+settle', mode, n, await measure(n, reserveSettle(store, `r${mode[0]}`)));
        rows.push(incr, rs);
        ratios[mode] = Math.round((rs.opsPerSec / incr.opsPerSec) * 1000) / 1000;
      }
    } finally {
      await deletePrefix(redis, prefix);
    }
  } catch (err) {
    redisError = `Redis at ${url} unavailable: ${(err as Error).message}`;
  } finally {
    redis.disconnect();
  }

  printTable('budgets: reserve+settle throughput (one op = reserve and settle; two Redis round trips)', rows as unknown as Record<string, string | number>[]);
  if (redisError) console.log(`(${redisError}; Redis rows skipped)`);
  else console.log(`Redis reserve+settle / INCRBY ops/s: sequential ${ratios.sequential}, pipelined ${ratios.pipelined} (${CONCURRENCY} in flight)`);
  const result = { seconds: SECONDS, concurrency: CONCURRENCY, budgets: tenants.bench!.budgets, rows, redisToIncrbyRatio: ratios, redisError };
  writeResult(outDir, 'budgets', result);
  return result;
}
