// Promoted to the exported suite (tollgate/testing); kept so existing imports work.
export * from '../../testing/contracts/rate-limiter.js';
