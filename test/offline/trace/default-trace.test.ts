import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatTraceLine, generateTrace, openTrace } from '../../../offline/trace/index.js';
import { DEFAULT_TRACE_FILE, DEFAULT_TRACE_OPTIONS } from '../../../examples/traces/default-trace-options.js';

const file = fileURLToPath(new URL(`../../../examples/traces/${DEFAULT_TRACE_FILE}`, import.meta.url));

describe('embedded default trace', () => {
  it('is what generate-default.ts writes (regenerate with: npx jiti examples/traces/generate-default.ts)', () => {
    const expected = [...generateTrace(DEFAULT_TRACE_OPTIONS)].map((r) => `${formatTraceLine(r)}\n`).join('');
    expect(readFileSync(file, 'utf8') === expected).toBe(true);
  });

  it('holds ≥ 5,000 valid requests in a few MB', async () => {
    const source = await openTrace(file);
    let n = 0;
    for await (const _ of source) n += 1;
    expect(n).toBeGreaterThanOrEqual(5_000);
    expect(source.stats.skipped).toBe(0);
    expect(statSync(file).size).toBeLessThan(4 * 1024 * 1024);
  });
});
