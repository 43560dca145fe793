import { MemoryRateLimiter } from '../../../adapters/stores/memory-rate-limiter.js';
import { rateLimiterContract } from '../../support/rate-limiter-contract.js';

rateLimiterContract('MemoryRateLimiter', async (policy, clock) => new MemoryRateLimiter(policy, { clock: clock.fn }));
