import { defineConfig } from 'vitest/config';

/** One project per test tier; `npm test` runs them all, `npm run test:<tier>` one of them. */
const tier = (name: string, extra: Record<string, unknown> = {}) => ({
  test: { name, include: [`test/${name}/**/*.test.ts`], ...extra },
});

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    projects: [
      tier('unit'),
      tier('integration', { testTimeout: 30_000, hookTimeout: 30_000 }),
      // The fault-injection cases run all at once (each on its own order).
      tier('workflow', { testTimeout: 120_000, hookTimeout: 120_000, maxConcurrency: 64 }),
      tier('infra', { testTimeout: 180_000, hookTimeout: 180_000 }),
      tier('e2e', { testTimeout: 60_000, hookTimeout: 120_000 }),
    ],
  },
});
