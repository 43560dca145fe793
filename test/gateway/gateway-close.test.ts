import { describe, expect, it } from 'vitest';
import { ask, post, startHarness } from './harness.js';

describe('gateway shutdown', () => {
  it('finishes in-flight requests (logged) and does not wait on idle or unused connections', async () => {
    const h = await startHarness({ primary: 'ok' }, { vendor: { latencyMs: 300 } });
    try {
      await post(h, ask('warm a keep-alive connection'));
      const inFlight = post(h, ask('in flight during shutdown'), { 'x-request-id': 'during-close' });
      await new Promise((r) => setTimeout(r, 80));
      const started = Date.now();
      await h.gw.close();
      expect(Date.now() - started).toBeLessThan(3000);
      const r = await inFlight;
      expect(r.status).toBe(200);
      expect(h.sink!.records.map((x) => x.requestId)).toContain('during-close');
    } finally {
      await h.close();
    }
  });
});
