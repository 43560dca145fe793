/**
 * `tollgate/testing`: the contract suites for Tollgate's seams, for anyone implementing one (ours run
 * against every built-in implementation in `npm test`). Each is a vitest suite: call it at the top level
 * of a vitest test file with a factory for your implementation (vitest is then a peer of your tests, not of
 * Tollgate). See docs/seams.md.
 *
 * ```ts
 * import { budgetStoreContract } from 'tollgate/testing';
 * budgetStoreContract('MyBudgetStore', async (tenants, clock) => new MyBudgetStore({ tenants, clock: clock.fn }));
 * ```
 */
export { budgetStoreContract, ManualClock, type ContractStore } from './contracts/budget-store.js';
export { rateLimiterContract } from './contracts/rate-limiter.js';
export { idempotencyStoreContract } from './contracts/idempotency-store.js';
export { modelAdapterContract, type ModelAdapterFixture } from './contracts/model-adapter.js';
export { cacheContract, type CacheContractOptions } from './contracts/cache.js';
export { decisionSinkContract, sampleRecord, type DecisionSinkFixture } from './contracts/decision-sink.js';
export { vectorStoreContract } from './contracts/vector-store.js';
export { itSpeaksV1 } from './contracts/specification.js';
