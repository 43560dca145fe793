/**
 * One of the processes of the multi-process budget acceptance test, forked with
 * `--import jiti/register` (no build needed) and an IPC channel. Configured by the JSON in argv[2]:
 * { url, tenants, ops, child }. Connects, sends `ready`, then for each `{ phase: { prefix,
 * maxOverFactor } }` message fires all its reserve→settle/refund operations concurrently against one
 * RedisBudgetStore and replies `{ results }`: every operation's outcome with client-side timestamps.
 * Exits on `{ done: true }`.
 */
import { Redis } from 'ioredis';
import { RedisBudgetStore } from '../../adapters/stores/redis-budget-store.js';
import { BudgetExceededError, TollgateError } from '../../engine/errors.js';
import type { Policy } from '../../policies/schema.js';

interface Config {
  url: string;
  tenants: Policy['tenants'];
  ops: number;
  child: number;
}

export interface Phase {
  prefix: string;
  /** actual = reserved × U(0.3, maxOverFactor); ≤ 1 models output capped at the reserved maximum. */
  maxOverFactor: number;
}

export interface OpResult {
  id: string;
  outcome: 'settled' | 'refunded' | 'refused' | 'error';
  reserved: number;
  actual: number;
  actualTokens: number;
  reserveSentAt: number;
  doneAt: number;
  code?: string;
}

const cfg = JSON.parse(process.argv[2]!) as Config;
let seed = 0x9e3779b9 ^ (cfg.child * 7919);
const rand = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

async function op(store: RedisBudgetStore, i: number, phase: Phase): Promise<OpResult> {
  const id = `c${cfg.child}-${i}`;
  const reserved = 1_000 + Math.floor(rand() * 4_000);
  const tokens = 100 + Math.floor(rand() * 400);
  const fail = rand() < 0.1;
  const actual = Math.floor(reserved * (0.3 + rand() * (phase.maxOverFactor - 0.3)));
  const actualTokens = Math.floor(tokens * 0.8);
  const delay = Math.floor(rand() * 20);
  await new Promise((res) => setTimeout(res, Math.floor(rand() * 400))); // arrivals spread over 0.4 s
  const reserveSentAt = Date.now();
  try {
    const r = await store.reserve({ tenant: 'acme', requestId: id, micros: reserved, tokens });
    await new Promise((res) => setTimeout(res, delay));
    if (fail) {
      await store.refund(r);
      return { id, outcome: 'refunded', reserved, actual: 0, actualTokens: 0, reserveSentAt, doneAt: Date.now() };
    }
    await store.settle(r, { micros: actual, tokens: actualTokens });
    return { id, outcome: 'settled', reserved, actual, actualTokens, reserveSentAt, doneAt: Date.now() };
  } catch (err) {
    const outcome = err instanceof BudgetExceededError ? 'refused' : 'error';
    const code = err instanceof TollgateError ? err.code : String(err);
    return { id, outcome, reserved, actual: 0, actualTokens: 0, reserveSentAt, doneAt: Date.now(), code };
  }
}

const redis = new Redis(cfg.url, { maxRetriesPerRequest: 1 });
await redis.ping();
process.on('message', (msg: { phase?: Phase; done?: boolean }) => {
  if (msg.done) {
    void redis.quit().then(() => process.disconnect());
    return;
  }
  const phase = msg.phase!;
  const store = new RedisBudgetStore({ redis, tenants: cfg.tenants, keyPrefix: phase.prefix });
  void Promise.all(Array.from({ length: cfg.ops }, (_, i) => op(store, i, phase))).then((results) => process.send!({ results }));
});
process.send!({ ready: true });
