import { defineConfig } from 'vitest/config';
import { CHROMIUM_CANDIDATES, findChromium, INSTALL_CHROMIUM } from './test/support/chromium.ts';

/** One project per test tier; `npm test` runs them all, `npm run test:<tier>` one of them. */
const tier = (name: string, extra: Record<string, unknown> = {}) => ({
  test: { name, include: [`test/${name}/**/*.test.ts`], ...extra },
});

/*
 * The browser tier drives the password-setup page in a real headless Chromium. Without one, a
 * developer's `npm test` says it skipped the tier and how to install it; in CI (CI=true, where
 * .ci/run installs Chromium with apt) a missing browser fails the run.
 */
const chromium = findChromium();
if (!chromium) {
  const missing = `No Chromium at ${CHROMIUM_CANDIDATES.join(', ')}.`;
  if (process.env.CI === 'true') throw new Error(`The browser tier cannot run in CI: ${missing} ${INSTALL_CHROMIUM}`);
  const notice = `\n*** SKIPPED the browser test tier (test/browser): ${missing}\n*** ${INSTALL_CHROMIUM}\n`;
  console.warn(notice);
  // Said again after the summary, where it cannot scroll by unseen.
  process.once('exit', () => console.warn(notice));
}

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
      ...(chromium ? [tier('browser', { testTimeout: 90_000, hookTimeout: 120_000 })] : []),
    ],
  },
});
