import { describe, expect, it } from 'vitest';
import type { IdempotencyStore } from '../../engine/seams/idempotency-store.js';

/**
 * The behaviour every IdempotencyStore must show (engine/seams/idempotency-store.ts); run it against each
 * implementation from a vitest file. `make` returns a store with no keys yet (use a fresh key prefix).
 */
export function idempotencyStoreContract(name: string, make: () => Promise<IdempotencyStore>): void {
  describe(`${name}: IdempotencyStore contract`, () => {
    it("declares specificationVersion 'v1' (or none, read as v1)", async () => {
      expect((await make()).specificationVersion ?? 'v1').toBe('v1');
    });

    it('claims an unknown key once; a second claim sees it pending with the first fingerprint', async () => {
      const s = await make();
      expect(await s.claim('t:a', 'fp1', 60_000)).toEqual({ kind: 'claimed' });
      expect(await s.claim('t:a', 'fp1', 60_000)).toEqual({ kind: 'pending', fingerprint: 'fp1' });
      expect(await s.claim('t:a', 'fp2', 60_000)).toEqual({ kind: 'pending', fingerprint: 'fp1' });
      expect(await s.claim('t:b', 'fp1', 60_000)).toEqual({ kind: 'claimed' }); // keys are independent
    });

    it('a completed key returns its JSON result, with its fingerprint, until the retention window ends', async () => {
      const s = await make();
      await s.claim('t:done', 'fp', 60_000);
      const result = { id: 'r1', text: 'answer', cost: { full: 42 }, nested: [1, 'two', null] };
      await s.complete('t:done', 'fp', result, 60_000);
      expect(await s.claim('t:done', 'fp', 60_000)).toEqual({ kind: 'done', fingerprint: 'fp', result });
      expect(await s.claim('t:done', 'other', 60_000)).toEqual({ kind: 'done', fingerprint: 'fp', result });
    });

    it('release drops only the pending claim of the same fingerprint; a completed key stays', async () => {
      const s = await make();
      await s.claim('t:r', 'fp', 60_000);
      await s.release('t:r', 'someone-else');
      expect((await s.claim('t:r', 'fp', 60_000)).kind).toBe('pending');
      await s.release('t:r', 'fp');
      expect(await s.claim('t:r', 'fp2', 60_000)).toEqual({ kind: 'claimed' });
      await s.complete('t:r', 'fp2', { ok: true }, 60_000);
      await s.release('t:r', 'fp2');
      expect((await s.claim('t:r', 'fp2', 60_000)).kind).toBe('done');
      await s.release('t:unknown', 'fp'); // idempotent on unknown keys
    });

    it('a claim whose lease ran out can be claimed again; a result past its window is gone', async () => {
      const s = await make();
      await s.claim('t:lease', 'fp', 30);
      await s.claim('t:gone', 'fp', 60_000);
      await s.complete('t:gone', 'fp', { x: 1 }, 30);
      await new Promise((r) => setTimeout(r, 120));
      expect(await s.claim('t:lease', 'fp2', 60_000)).toEqual({ kind: 'claimed' });
      expect(await s.claim('t:gone', 'fp3', 60_000)).toEqual({ kind: 'claimed' });
    });

    it('concurrent claims of one key: exactly one is claimed', async () => {
      const s = await make();
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => s.claim('t:race', 'fp', 60_000)));
      expect(outcomes.filter((o) => o.kind === 'claimed')).toHaveLength(1);
    });

    it('waitFor (when implemented) resolves once the key completes', async () => {
      const s = await make();
      if (!s.waitFor) return;
      await s.claim('t:w', 'fp', 60_000);
      const waited = s.waitFor('t:w', 60_000);
      await s.complete('t:w', 'fp', 1, 60_000);
      await waited;
      expect((await s.claim('t:w', 'fp', 60_000)).kind).toBe('done');
    });
  });
}
