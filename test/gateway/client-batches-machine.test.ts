import { describe, expect, it } from 'vitest';
import { canClientBatch, nextClientBatchStatus } from '../../gateway/client-batch-machine.js';

describe('client batch lifecycle machine', () => {
  it('moves validating → in_progress → finalizing → completed, and cancels or expires on the way', () => {
    expect(nextClientBatchStatus('validating', { type: 'VALIDATED' })).toBe('in_progress');
    expect(nextClientBatchStatus('validating', { type: 'INVALID' })).toBe('failed');
    expect(nextClientBatchStatus('in_progress', { type: 'DRAINED' })).toBe('finalizing');
    expect(nextClientBatchStatus('finalizing', { type: 'FINALIZED' })).toBe('completed');
    expect(nextClientBatchStatus('in_progress', { type: 'CANCEL' })).toBe('cancelling');
    expect(nextClientBatchStatus('cancelling', { type: 'CANCELLED' })).toBe('cancelled');
    expect(nextClientBatchStatus('in_progress', { type: 'EXPIRED' })).toBe('expired');
  });

  it('refuses transitions the lifecycle does not have (a finished batch cannot be cancelled or resumed)', () => {
    for (const s of ['completed', 'failed', 'expired', 'cancelled'] as const) {
      expect(canClientBatch(s, { type: 'CANCEL' })).toBe(false);
      expect(() => nextClientBatchStatus(s, { type: 'VALIDATED' })).toThrow(`no VALIDATED from ${s}`);
    }
    expect(canClientBatch('finalizing', { type: 'CANCEL' })).toBe(false);
    expect(() => nextClientBatchStatus('validating', { type: 'DRAINED' })).toThrow();
  });
});
