import { existsSync } from 'node:fs';

/*
 * Where the browser tier finds Chromium: Debian's `chromium` package, driven by playwright-core,
 * which downloads no browser of its own. Used by vitest.config.ts (to run or skip the tier) and by
 * the tier's tests (to launch it).
 */

/** Where Chromium is looked for: `CHROMIUM_PATH` alone when set, else Debian's and Ubuntu's packages. */
export const CHROMIUM_CANDIDATES = process.env.CHROMIUM_PATH
  ? [process.env.CHROMIUM_PATH]
  : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium executable of this machine, or undefined when there is none. */
export const findChromium = (): string | undefined => CHROMIUM_CANDIDATES.find((candidate) => existsSync(candidate));

/** What to do on a machine without Chromium. */
export const INSTALL_CHROMIUM =
  'Install it with `sudo apt-get update && sudo apt-get install -y chromium` (Debian, Ubuntu), ' +
  'or set CHROMIUM_PATH to a Chromium or Chrome executable.';
