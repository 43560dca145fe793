import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/run-cli.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../../adapters/stores/redis-client.js';
import { RedisBudgetStore } from '../../adapters/stores/redis-budget-store.js';
import { RedisRateLimiter } from '../../adapters/stores/redis-rate-limiter.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { SimulatedAdapter } from '../../adapters/simulated-adapter.js';
import { createTollgate } from '../../compose.js';
import { TollgateError } from '../../engine/errors.js';
import type { ModelAdapter, ModelCallInput } from '../../engine/seams/model-adapter.js';
import { httpPolicy, simPolicy } from '../support/policies.js';
import { startFakeVendor } from '../support/fake-vendor-server.js';
import { addKey, KeyStore } from '../../gateway/api-keys.js';
import { startGateway } from '../../gateway/server.js';

/**
 * A redis-server of our own on a spare port (no persistence), stopped and restarted by the test:
 * `--save "" --appendonly no`, so a restart comes back empty (the harshest case for queued spend).
 */
const PORT = 6390 + Math.floor(Math.random() * 500);
let server: ChildProcess | undefined;

async function startRedis(): Promise<void> {
  server = spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  server.on('error', (e) => {
    throw new Error(`redis-server could not start (${e.message}); install it (apt-get install redis-server)`);
  });
  const probe = await createRedisClient(`redis://127.0.0.1:${PORT}`, { retryStrategy: () => 50 });
  try {
    for (let i = 0; i < 200; i++) {
      if ((await probe.ping().catch(() => '')) === 'PONG') return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server on port ${PORT} did not answer`);
  } finally {
    probe.disconnect();
  }
}

async function stopRedis(): Promise<void> {
  const s = server!;
  server = undefined;
  if (s.exitCode !== null) return;
  s.kill('SIGKILL');
  await once(s, 'exit');
}

/** Waits until `client` has reconnected (commands go through again). */
async function reconnected(client: Redis): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await client.ping().catch(() => '')) === 'PONG') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('client did not reconnect');
}

/** The simulated adapter, with a hook run inside each call (after reserve, before settle) and a call count. */
function hookedAdapter(): ModelAdapter & { calls: number; during?: () => Promise<void> } {
  const sim = new SimulatedAdapter(7);
  const a = {
    kind: 'simulated',
    calls: 0,
    during: undefined as undefined | (() => Promise<void>),
    async call(input: ModelCallInput) {
      a.calls++;
      if (a.during) await a.during();
      return sim.call(input);
    },
    stream: (input: ModelCallInput) => sim.stream(input),
  };
  return a;
}

const tenants = { acme: { budgets: [{ window: 'month' as const, usd: 5 }], rateLimit: { requestsPerMinute: 10_000 }, actions: [] } };
const ask = (content: string) => ({ tenant: 'acme', messages: [{ role: 'user' as const, content }], maxOutputTokens: 64 });

async function usedMicros(store: RedisBudgetStore): Promise<number> {
  return (await store.usage('acme')).find((u) => u.dimension === 'micros')!.used;
}

describe('a store outage never loses a called model\'s record or its spend (#14 item 4, #16 point 1)', () => {
  let redis: Redis;
  beforeAll(async () => {
    await startRedis();
    redis = await createRedisClient(`redis://127.0.0.1:${PORT}`);
  });
  beforeEach(async () => {
    if (!server) await startRedis();
    await reconnected(redis);
  });
  afterAll(async () => {
    redis?.disconnect();
    if (server) await stopRedis();
  });

  it('Redis stopped between reserve and settle: the answer arrives, the record is written first, the spend is queued and applied after restart', async () => {
    const adapter = hookedAdapter();
    const sink = new MemoryDecisionSink();
    const store = new RedisBudgetStore({ redis, tenants, keyPrefix: 'outage-a:' });
    const tg = createTollgate({ policy: simPolicy({ tenants }), budgetStore: store, decisionLog: sink, adapters: { simulated: adapter } });
    adapter.during = stopRedis; // the call runs while Redis dies
    const r = await tg.complete(ask('stopped mid-call'));
    adapter.during = undefined;
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.cost.full).toBeGreaterThan(0);
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]).toMatchObject({ outcome: 'ok', requestId: r.id });
    expect(sink.records[0]!.actions).toContain('budget:settle_queued');
    expect(tg.pendingSpend()).toMatchObject({ operations: 1, micros: r.cost.full });
    await startRedis();
    await reconnected(redis);
    expect(await tg.flushPendingSpend()).toMatchObject({ operations: 0, micros: 0 });
    expect(await usedMicros(store)).toBe(r.cost.full); // the restarted (empty) Redis now holds exactly that spend
    await tg.close();
    // tollgate report says so.
    const dir = mkdtempSync(join(tmpdir(), 'tg-outage-'));
    const log = join(dir, 'decisions.jsonl');
    writeFileSync(log, sink.records.map((x) => JSON.stringify(x)).join('\n') + '\n');
    let out = '';
    const code = await runCli(['report', '--log', log], { out: (t) => (out += t), err: () => undefined, isTty: false });
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
    expect(out).toMatch(/budget store outages: 1 answered requests had their settle queued/);
  });

  it('fail-closed (default), Redis down for the whole call: a typed store_unavailable, no model call, nothing spent, the refusal logged', async () => {
    const adapter = hookedAdapter();
    const sink = new MemoryDecisionSink();
    const store = new RedisBudgetStore({ redis, tenants, keyPrefix: 'outage-b:' });
    const tg = createTollgate({ policy: simPolicy({ tenants }), budgetStore: store, rateLimiter: new RedisRateLimiter({ redis, policy: { tenants, modelLimits: {} } as never, keyPrefix: 'outage-b:' }), decisionLog: sink, adapters: { simulated: adapter } });
    await stopRedis();
    const err = await tg.complete(ask('redis is down')).catch((e: unknown) => e);
    expect(err, String(err)).toBeInstanceOf(TollgateError);
    expect((err as TollgateError).code, (err as Error).message).toBe('store_unavailable');
    expect(adapter.calls).toBe(0);
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]).toMatchObject({ outcome: 'error', error: { code: 'store_unavailable' }, cost: { full: 0 } });
    expect(tg.pendingSpend().operations).toBe(0);
    await startRedis();
    await reconnected(redis);
    expect(await usedMicros(store)).toBe(0);
    await tg.close();
  });

  it('fail-open: serves while Redis is down up to the per-process cap, then closes; the open spend is recorded in Redis when it returns', async () => {
    const adapter = hookedAdapter();
    const sink = new MemoryDecisionSink();
    const policy = simPolicy({ tenants, onStoreUnavailable: 'fail-open', failOpenSpendCapUsd: 0.002 });
    const store = new RedisBudgetStore({ redis, tenants, keyPrefix: 'outage-c:' });
    const tg = createTollgate({ policy, budgetStore: store, rateLimiter: new RedisRateLimiter({ redis, policy: { tenants, modelLimits: {} } as never, keyPrefix: 'outage-c:' }), decisionLog: sink, adapters: { simulated: adapter } });
    await stopRedis();
    const results: unknown[] = [];
    for (let i = 0; i < 40; i++) results.push(await tg.complete({ ...ask(`open ${i}`), model: 'big' }).catch((e: unknown) => e));
    const ok = results.filter((r) => !(r instanceof Error)) as { cost: { full: number } }[];
    const refused = results.filter((r) => r instanceof TollgateError) as TollgateError[];
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0); // the cap closed it
    expect(refused.every((e) => e.code === 'store_unavailable')).toBe(true);
    expect(sink.records).toHaveLength(40); // every request logged with what was decided
    const openRecords = sink.records.filter((r) => r.outcome === 'ok');
    expect(openRecords.every((r) => r.actions?.includes('store_unavailable:fail-open'))).toBe(true);
    const openSpend = ok.reduce((s, r) => s + r.cost.full, 0);
    expect(openSpend).toBeLessThanOrEqual(2_000);
    expect(tg.pendingSpend().micros).toBe(openSpend);
    await startRedis();
    await reconnected(redis);
    await tg.flushPendingSpend();
    expect(await usedMicros(store)).toBe(openSpend);
    // Reachable again: requests are checked against Redis as usual.
    await expect(tg.complete(ask('back to normal'))).resolves.toMatchObject({ cached: false });
    await tg.close();
  });

  it('even a client with ioredis defaults (offline queue, 20 retries) fails fast: each store operation has a 2 s deadline', async () => {
    const { Redis: Plain } = await import('ioredis');
    const plain = new Plain(`redis://127.0.0.1:${PORT}`);
    plain.on('error', () => undefined);
    const store = new RedisBudgetStore({ redis: plain, tenants, keyPrefix: 'outage-e:', operationTimeoutMs: 300 });
    const tg = createTollgate({ policy: simPolicy({ tenants }), budgetStore: store });
    await stopRedis();
    const err = await tg.complete(ask('plain client, redis gone')).catch((e: unknown) => e);
    expect((err as TollgateError).code).toBe('store_unavailable');
    expect((err as Error).message).toMatch(/no reply from Redis within 300 ms|Connection is closed|connect/);
    plain.disconnect();
    await tg.close();
  });

  it('an unreachable Redis fails fast with store_unavailable instead of hanging (createRedisClient defaults)', async () => {
    const dead = await createRedisClient('redis://127.0.0.1:1', { connectTimeout: 200 });
    const store = new RedisBudgetStore({ redis: dead, tenants, keyPrefix: 'outage-d:' });
    const tg = createTollgate({ policy: simPolicy({ tenants }), budgetStore: store });
    const err = await tg.complete(ask('nobody home')).catch((e: unknown) => e);
    expect((err as TollgateError).code).toBe('store_unavailable');
    dead.disconnect();
    await tg.close();
  });
});

afterAll(async () => {
  if (server) await stopRedis(); // the redis-server this file started
});

describe('the gateway over a Redis that goes away (#14 item 4, #16 point 1)', () => {
  it('Redis killed while the vendor answers: the client still gets its 200; Redis down before the call: 503 store_unavailable in OpenAI shape', async () => {
    if (!server) await startRedis();
    const client = await createRedisClient(`redis://127.0.0.1:${PORT}`);
    const vendor = await startFakeVendor({ apiKey: 'sk-outage-test', latencyMs: 800 });
    process.env.TOLLGATE_OUTAGE_KEY = 'sk-outage-test';
    const dir = mkdtempSync(join(tmpdir(), 'tg-outage-gw-'));
    const key = addKey(join(dir, 'keys.json'), 'acme');
    const keys = new KeyStore(join(dir, 'keys.json'));
    const sink = new MemoryDecisionSink();
    const policy = { ...httpPolicy(vendor.url, { primary: 'ok' }), tenants };
    policy.models = policy.models.map((m) => ({ ...m, apiKeyEnv: 'TOLLGATE_OUTAGE_KEY' }));
    const tollgate = createTollgate({ policy, decisionLog: sink, redis: { client, keyPrefix: 'outage-gw:' } });
    const gw = await startGateway({ tollgate, tenantForKey: (k) => keys.tenantFor(k) });
    const post = (content: string) =>
      fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }] }) });
    try {
      const pending = post('redis dies while I wait');
      await expect.poll(() => vendor.count(), { timeout: 5_000, interval: 5 }).toBe(1); // reserved, the call is running
      await stopRedis();
      const res = await pending;
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { message: { content: string } }[] };
      expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
      expect(sink.records.at(-1)!.actions).toContain('budget:settle_queued');

      const refused = await post('redis is gone');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(((await refused.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'store_unavailable', type: 'server_error' });
      expect(vendor.count()).toBe(1);

      await startRedis();
      await reconnected(client);
      await tollgate.flushPendingSpend();
      const store = new RedisBudgetStore({ redis: client, tenants, keyPrefix: 'outage-gw:' });
      expect(await usedMicros(store)).toBe(sink.records.find((r) => r.outcome === 'ok')!.cost.full);
    } finally {
      await gw.close();
      await vendor.close();
      client.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
