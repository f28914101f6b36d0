import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './scripts/test-order.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most integration files wait on processes, PostgreSQL and Redis rather than compute: three at once
    // keep two cores busy (the default, one per core, left them half idle).
    maxWorkers: 3,
    env: { OTEL_SDK_DISABLED: 'true' },
    // Longest files first, from scripts/test-durations.json (scripts/test-order.ts).
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'] },
      },
      {
        extends: true,
        // Integration tests start CLI processes, servers and stores: a test that takes a few seconds idle
        // takes a minute or more on a loaded 2-core machine (CI shares its cores), hence 3 minutes each.
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts'],
          fileParallelism: true,
          testTimeout: 180_000,
        },
      },
      {
        // The dashboard's component tests, in a simulated DOM (apps/web/test).
        extends: true,
        test: {
          name: 'web',
          include: ['apps/web/test/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['apps/web/test/setup.ts'],
        },
      },
      {
        // The dashboard end to end: `autonoma serve` and Debian's Chromium (apps/web/e2e, docs/dashboard.md).
        extends: true,
        test: {
          name: 'e2e',
          include: ['apps/web/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
        },
      },
    ],
  },
});
