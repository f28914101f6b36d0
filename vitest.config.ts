import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
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
    ],
  },
});
