import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TollgateMetrics } from '../../adapters/observers/prometheus-metrics.js';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { MemoryBudgetStore } from '../../adapters/stores/memory-budget-store.js';
import { createTollgate } from '../../compose.js';
import { fullCost } from '../../engine/cost.js';
import { BudgetExceededError, TollgateError, ValidationError } from '../../engine/errors.js';
import type { Tollgate } from '../../engine/tollgate.js';
import { resolvePolicy } from '../../policies/loader.js';
import { FakeBatchVendor } from '../adapters/batch/batch-fake-vendor.js';
import { deferPolicy, deferredOptions } from './deferrable-fixtures.js';

/** #18 item 5 through the library: `complete({ deferrable })` → handle → batch price; budgets; the `defer` rule action. */
describe('deferrable work through complete() (#18 item 5)', () => {
  let vendor: FakeBatchVendor;
  const engines: Tollgate[] = [];
  beforeAll(async () => {
    vendor = await new FakeBatchVendor().start();
  });
  afterAll(async () => {
    for (const t of engines) await t.close();
    await vendor.close();
  });

  function engine(budgetUsd = 1, metrics?: TollgateMetrics) {
    const policy = deferPolicy(vendor.url, budgetUsd);
    const sink = new MemoryDecisionSink();
    const budgets = new MemoryBudgetStore(resolvePolicy(policy).policy.tenants);
    const tollgate = createTollgate({ policy, decisionLog: sink, budgetStore: budgets, deferred: deferredOptions(vendor.url), metrics });
    engines.push(tollgate);
    const spent = async () => (await budgets.usage('acme')).find((u) => u.dimension === 'micros')!.used;
    return { tollgate, sink, spent };
  }

  const messages = [{ role: 'user' as const, content: 'Summarise the quarterly report in three lines.' }];

  it('complete() with deferrable answers a handle at once; handle.result() is the vendor batch answer at half price, retrievable by id', async () => {
    const metrics = new TollgateMetrics();
    const { tollgate, sink } = engine(1, metrics);
    const creates = vendor.creates;
    const handle = await tollgate.complete({ id: 'lib-1', tenant: 'acme', model: 'gpt-4o-mini', messages, maxOutputTokens: 64, deferrable: { within: '24h' } });
    expect(handle).toMatchObject({ id: 'lib-1', tenant: 'acme', model: 'gpt-4o-mini' });
    expect(tollgate.deferred('lib-1')?.id).toBe('lib-1');
    expect(tollgate.deferred('nobody')).toBeUndefined();
    const result = await handle.result();
    expect(vendor.creates - creates).toBe(1);
    expect(result.text).toBe('batch answer to lib-1 (gpt-4o-mini)');
    expect(result.record).toMatchObject({ requestId: 'lib-1', outcome: 'ok', model: 'gpt-4o-mini', rule: 'pinned' });
    expect(result.record.actions![0]).toMatch(/^batch:openai:batch_/);
    const basis = tollgate.policy.byId.get('gpt-4o-mini')!.basis;
    const list = fullCost(basis, { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, cachedInputTokens: 0 }).full;
    expect(result.usage.outputTokens).toBe(40);
    expect(Math.abs(result.cost.full - list / 2)).toBeLessThanOrEqual(1);
    expect(result.cost.full).toBeGreaterThan(0);
    // One record, written once; the handle from the id gives the same answer again.
    expect(sink.records.filter((r) => r.requestId === 'lib-1')).toHaveLength(1);
    expect(tollgate.deferred('lib-1')!.status()).toBe('settled');
    expect((await tollgate.deferred('lib-1')!.result()).text).toBe(result.text);
    expect(tollgate.ledger.total().requests).toBe(1); // the ledger saw the settled record
    // The batch-queue gauge is fed by the batcher.
    expect(await metrics.registry.getSingleMetricAsString('tollgate_batch_queue_jobs')).toMatch(/tollgate_batch_queue_jobs\{state="done"\} 1/);
  });

  it('reserves the budget at submission: a second request over budget is refused while the first is pending; settles at the batch price; refunded on expiry', async () => {
    // $0.008: one claude-haiku request capped at 1,000 output tokens reserves ~5,010 µ$ at the list price.
    const metrics = new TollgateMetrics();
    const { tollgate, sink, spent } = engine(0.008, metrics);
    vendor.completeAfterPolls = 1e9; // keep the first pending
    const first = await tollgate.complete({ id: 'b-1', tenant: 'acme', model: 'claude-haiku', messages, maxOutputTokens: 1000, deferrable: { within: '24h' } });
    expect(await spent()).toBeGreaterThan(5000);
    await expect(tollgate.complete({ id: 'b-2', tenant: 'acme', model: 'claude-haiku', messages, maxOutputTokens: 1000, deferrable: { within: '24h' } })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(sink.records.find((r) => r.requestId === 'b-2')).toMatchObject({ outcome: 'refused', error: { code: 'budget_exceeded' } });
    expect(first.status()).toBe('pending');
    // The same id again (a retried POST) is the same deferred request: nothing queued or reserved twice.
    const held = await spent();
    const again = await tollgate.complete({ id: 'b-1', tenant: 'acme', model: 'claude-haiku', messages, maxOutputTokens: 1000, deferrable: { within: '24h' } });
    expect([again.id, again.status(), await spent()]).toEqual(['b-1', 'pending', held]);
    await expect(tollgate.complete({ id: 'b-1', tenant: 'other', model: 'claude-haiku', messages, deferrable: { within: '24h' } })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    vendor.completeAfterPolls = 1;
    const r1 = await first.result();
    expect(r1.record.outcome).toBe('ok');
    expect(await spent()).toBe(r1.cost.full); // the hold replaced by the batch cost
    expect(r1.cost.full).toBeLessThan(200);

    // Expiry: the line's error record, no cost, the hold refunded.
    vendor.expireNext = true;
    const before = await spent();
    const late = await tollgate.complete({ id: 'b-3', tenant: 'acme', model: 'gpt-4o-mini', messages, maxOutputTokens: 1000, deferrable: { within: '24h' } });
    await expect(late.result()).rejects.toMatchObject({ code: 'batch_expired' });
    expect(sink.records.find((r) => r.requestId === 'b-3')).toMatchObject({ outcome: 'error', error: { code: 'batch_expired' }, cost: { full: 0 } });
    expect(await spent()).toBe(before);
    // The gauge: the first job settled (done), the expired one settled after expiry (failed), nothing queued or running.
    const gauge = await metrics.registry.getSingleMetricAsString('tollgate_batch_queue_jobs');
    for (const [state, n] of [['queued', 0], ['running', 0], ['done', 1], ['failed', 1]] as const) expect(gauge).toContain(`tollgate_batch_queue_jobs{state="${state}"} ${n}`);
    // Every deferred request ends in exactly one record.
    for (const id of ['b-2', 'b-3']) expect(sink.records.filter((r) => r.requestId === id)).toHaveLength(1);
    // b-1: its settled record, and the refused other tenant's record under the same id.
    expect(sink.records.filter((r) => r.requestId === 'b-1').map((r) => [r.tenant, r.outcome])).toEqual([['other', 'error'], ['acme', 'ok']]);
  });

  it('a rule with action defer defers matching work (complete() waits for it; submit() answers the handle); no batch API: typed error or the rule\'s run-now fallback', async () => {
    const { tollgate, sink } = engine();
    const nightly = await tollgate.complete({ id: 'r-1', tenant: 'acme', tags: ['nightly'], messages, maxOutputTokens: 64 });
    expect(nightly.record).toMatchObject({ rule: 'nightly', model: 'claude-haiku', outcome: 'ok', tags: ['nightly'] });
    expect(nightly.text).toBe('batch answer to r-1 (claude-haiku-4-5)');
    const handle = await tollgate.submit({ id: 'r-2', tenant: 'acme', tags: ['nightly'], messages, maxOutputTokens: 64 });
    expect('status' in handle && handle.model).toBe('claude-haiku');
    await (handle as { result(): Promise<unknown> }).result();

    // The rule's models have no batch API: batch_unsupported by default (an error record), or run now with onUnsupported: run.
    await expect(tollgate.complete({ id: 'r-3', tenant: 'acme', tags: ['local-night'], messages })).rejects.toMatchObject({ code: 'batch_unsupported' });
    expect(sink.records.find((r) => r.requestId === 'r-3')).toMatchObject({ outcome: 'error', error: { code: 'batch_unsupported' } });
    const now = await tollgate.complete({ id: 'r-4', tenant: 'acme', tags: ['local-try'], messages });
    expect(now.record).toMatchObject({ model: 'local', outcome: 'ok' });
    expect(now.record.actions).toContain('defer:unsupported');
    // Untagged work runs now.
    const ran = await tollgate.submit({ id: 'r-5', tenant: 'acme', model: 'local', messages });
    expect('record' in ran && ran.record).toMatchObject({ model: 'local', outcome: 'ok' });
  });

  it('a restarted engine on the same job store resumes the pending line and settles the reservation stored with it', async () => {
    const policy = deferPolicy(vendor.url, 0.008);
    const budgets = new MemoryBudgetStore(resolvePolicy(policy).policy.tenants); // a store both processes share (Redis in production)
    const spent = async () => (await budgets.usage('acme')).find((u) => u.dimension === 'micros')!.used;
    const opts = deferredOptions(vendor.url);
    vendor.completeAfterPolls = 1e9;
    const first = createTollgate({ policy, decisionLog: new MemoryDecisionSink(), budgetStore: budgets, deferred: opts });
    const creates = vendor.creates;
    await first.complete({ id: 'rs-1', tenant: 'acme', model: 'claude-haiku', messages, maxOutputTokens: 1000, deferrable: { within: '24h' } });
    for (let i = 0; i < 1_000 && vendor.creates === creates; i++) await new Promise((r) => setTimeout(r, 5));
    expect(vendor.creates - creates).toBe(1); // submitted, in progress
    await first.close();
    const held = await spent();
    expect(held).toBeGreaterThan(5000);

    vendor.completeAfterPolls = 1;
    const sink = new MemoryDecisionSink();
    const second = createTollgate({ policy, decisionLog: sink, budgetStore: budgets, deferred: opts });
    engines.push(second);
    const handle = second.deferred('rs-1')!;
    expect(handle.status()).toBe('pending');
    const r = await handle.result();
    expect(vendor.creates - creates).toBe(1); // polled, never submitted again
    expect(r.record.outcome).toBe('ok');
    expect(sink.records.map((x) => x.requestId)).toEqual(['rs-1']);
    expect(await spent()).toBe(r.cost.full); // the first process's hold, settled by the second
  });

  it('bad deferrable input is a typed error naming the field, before anything is queued', async () => {
    const { tollgate } = engine();
    const creates = vendor.creates;
    const err = await tollgate.complete({ tenant: 'acme', messages, deferrable: { within: 'soon' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]!.path).toBe('deferrable.within');
    await expect(tollgate.complete({ tenant: 'acme', model: 'local', messages, deferrable: { within: '24h' } })).rejects.toMatchObject({ code: 'batch_unsupported' });
    const tools = [{ type: 'function' as const, function: { name: 'lookup' } }];
    await expect(tollgate.complete({ tenant: 'acme', model: 'gpt-4o-mini', messages, tools, deferrable: { within: '24h' } })).rejects.toMatchObject({ code: 'invalid_request', issues: [{ path: 'tools' }] });
    const it = tollgate.stream({ tenant: 'acme', messages, deferrable: { within: '24h' } });
    await expect(it.next()).rejects.toBeInstanceOf(ValidationError);
    // No deferred queue configured: batch_unsupported.
    const plain = createTollgate({ policy: deferPolicy(vendor.url) });
    engines.push(plain);
    await expect(plain.complete({ tenant: 'acme', model: 'gpt-4o-mini', messages, deferrable: { within: '24h' } })).rejects.toSatisfy((e: unknown) => e instanceof TollgateError && e.code === 'batch_unsupported' && /no deferred queue/.test(e.message));
    expect(vendor.creates).toBe(creates);
  });
});
