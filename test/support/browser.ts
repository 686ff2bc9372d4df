/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The callbacks given to page.evaluate run in the browser, on its DOM.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { findChromium, INSTALL_CHROMIUM } from './chromium.ts';

/*
 * The browser tier's fixture: Debian's Chromium driven by playwright-core (no browser of its own is
 * downloaded), screenshots in test-results/browser/, and the checks every state of a page gets.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the screenshots go (git-ignored), as a path relative to the repository. */
export const SCREENSHOT_DIR = 'test-results/browser';

/** A phone: the viewport of a common 6.1-inch handset, touch, the page's own viewport meta honoured. */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

/** Launches Chromium for the test file, and prints the screenshots it took at the end. */
export function withBrowser() {
  const fixture = {} as { browser: Browser };
  const shots: string[] = [];
  beforeAll(async () => {
    const executablePath = findChromium();
    if (!executablePath) throw new Error(`No Chromium for the browser tier. ${INSTALL_CHROMIUM}`);
    rmSync(path.join(root, SCREENSHOT_DIR), { recursive: true, force: true });
    mkdirSync(path.join(root, SCREENSHOT_DIR), { recursive: true });
    fixture.browser = await chromium.launch({ executablePath });
  });
  afterAll(async () => {
    await fixture.browser?.close();
    if (shots.length > 0)
      console.log(`Screenshots of the password-setup page:\n${shots.map((s) => `  ${s}`).join('\n')}`);
  });

  return {
    get browser() {
      return fixture.browser;
    },
    /** A fresh page (its own context) that records script errors and Content-Security-Policy refusals. */
    async open(url: string, options: BrowserContextOptions = { viewport: { width: 1024, height: 900 } }) {
      const context = await fixture.browser.newContext({ locale: 'it-IT', ...options });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
      page.on('console', (message) => {
        // A refused request (400, 404, 410) is logged too: it is an answer the page explains, not a fault.
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
          problems.push(`console: ${message.text()}`);
        }
      });
      await page.goto(url);
      return { page, problems, close: () => context.close() };
    },
    /** Takes a full-page screenshot as `<name>.png` and answers its path in the repository. */
    async screenshot(page: Page, name: string): Promise<string> {
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: path.join(root, file), fullPage: true });
      shots.push(file);
      return file;
    },
  };
}

export interface ContrastFailure {
  text: string;
  ratio: number;
  color: string;
  background: string;
}

/**
 * Every piece of visible text on the page whose contrast with its background is under 4.5:1
 * (WCAG 2.x AA for normal text), computed from the styles the browser applied.
 */
export function lowContrastText(page: Page): Promise<ContrastFailure[]> {
  return page.evaluate(() => {
    const rgba = (css: string) => {
      const [r = 0, g = 0, b = 0, a = 1] = (css.match(/[\d.]+/g) ?? []).map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }: { r: number; g: number; b: number }) => {
      const channel = (value: number) => {
        const v = value / 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const backgroundOf = (element: Element) => {
      for (let node: Element | null = element; node; node = node.parentElement) {
        const color = rgba(getComputedStyle(node).backgroundColor);
        if (color.a > 0) return { css: getComputedStyle(node).backgroundColor, color };
      }
      return { css: 'rgb(255, 255, 255)', color: { r: 255, g: 255, b: 255, a: 1 } };
    };
    const failures = [];
    for (const element of document.querySelectorAll('body *')) {
      const ownText = [...element.childNodes].some(
        (node) => node.nodeType === Node.TEXT_NODE && node.textContent?.trim(),
      );
      const box = element.getBoundingClientRect();
      const style = getComputedStyle(element);
      if (!ownText || box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
      if (element.closest('.vh')) continue; // read by screen readers only
      const background = backgroundOf(element);
      const [light, dark] = [luminance(rgba(style.color)), luminance(background.color)].sort((a, b) => b - a) as [
        number,
        number,
      ];
      const ratio = (light + 0.05) / (dark + 0.05);
      if (ratio < 4.5) {
        failures.push({
          text: element.textContent?.trim().slice(0, 60) ?? '',
          ratio: Math.round(ratio * 100) / 100,
          color: style.color,
          background: background.css,
        });
      }
    }
    return failures;
  });
}

/** The visible form fields that have no label a screen reader would read. */
export function unlabelledFields(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')]
      .filter((field) => (field as HTMLInputElement).type !== 'hidden' && field.getClientRects().length > 0)
      .filter((field) => ((field as HTMLInputElement).labels?.length ?? 0) === 0 && !field.getAttribute('aria-label'))
      .map((field) => field.id || field.outerHTML),
  );
}

/** The id of the focused element, and whether it shows a focus indicator of at least 2 px. */
export function focusState(page: Page): Promise<{ id: string; visibleFocus: boolean }> {
  return page.evaluate(() => {
    const active = document.activeElement as HTMLElement | null;
    if (!active) return { id: '', visibleFocus: false };
    const style = getComputedStyle(active);
    const outline = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2;
    return { id: active.id, visibleFocus: outline || style.boxShadow !== 'none' };
  });
}
