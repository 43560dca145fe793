import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Checks Chromium, Redis and PostgreSQL once per run; starts or installs what is missing, or stops the
    // run at once with the command that fixes it (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // 2-core CI machines: two workers, files in parallel, tests in a file in order.
    maxWorkers: 2,
    // The JSON report is what .ci/run reads to print its closing `tests: N passed, N failed` line.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
  },
});
