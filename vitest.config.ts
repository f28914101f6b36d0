import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most integration files wait on processes, PostgreSQL and Redis rather than compute: three at once
    // keep two cores busy (the default, one per core, left them half idle).
    maxWorkers: 3,
    env: { OTEL_SDK_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['packages/*/test/**/*.test.ts'], fileParallelism: true },
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
