import { describe, expect, it } from 'vitest';
import { SimulatedAdapter } from '../../adapters/simulated-adapter.js';
import type { ModelSpec } from '../../policies/schema.js';

const model = { id: 'm', encoding: 'o200k_base', quality: 0.7 } as unknown as ModelSpec;

describe('SimulatedAdapter.usageSync', () => {
  it("is callSync's usage, usage source and quality, draw for draw", () => {
    const a = new SimulatedAdapter(7);
    const b = new SimulatedAdapter(7);
    for (let i = 0; i < 500; i++) {
      const input = {
        model,
        messages: [{ role: 'user' as const, content: `question ${i}` }],
        maxOutputTokens: i % 3 === 0 ? 100 : 1_000,
        requestId: `req-${i}`,
        simulation: i % 2 === 0 ? { promptTokens: 40 + i, ...(i % 4 === 0 ? { outputTokens: 90 + i } : {}), labels: i % 8 === 0 ? { m: 0.5 } : undefined } : undefined,
      };
      const full = a.callSync(input);
      const { usage, usageSource, quality } = full;
      expect(b.usageSync(input)).toEqual({ usage, usageSource, quality });
      expect(Object.keys(full)).toEqual(['text', 'usage', 'usageSource', 'finishReason', 'quality']);
      expect(full.text).toBe(`[m] simulated answer of ${usage.outputTokens} tokens`);
    }
  });
});
