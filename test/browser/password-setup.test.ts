/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The callbacks given to page.evaluate run in the browser, on its DOM.
import { randomBytes } from 'node:crypto';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { PASSWORD_RULES } from '../../functions/domain/password-policy.ts';
import { focusState, lowContrastText, PHONE, unlabelledFields, withBrowser } from '../support/browser.ts';
import { activatedMailbox, emailsAbout, linkIn } from '../support/holder.ts';
import { withLocalRuntime } from '../support/runtime.ts';

/*
 * The password-setup page as a holder uses it, in Debian's headless Chromium, against the local
 * runtime: the link from the outbox, a weak password refused, a good one accepted, the used link
 * explained, a reset asked for from the page; by keyboard alone; on a phone. Every state is
 * screenshotted to test-results/browser/ and checked for contrast, labels and script or CSP errors.
 */

const local = withLocalRuntime();
const chromium = withBrowser();

const GOOD = 'Sole-Luna-2026!';

/** What every state of the page must be: readable (contrast >= 4.5:1), every field labelled, no error. */
async function checkState(page: Page, problems: string[]) {
  expect(await lowContrastText(page)).toEqual([]);
  expect(await unlabelledFields(page)).toEqual([]);
  expect(problems).toEqual([]);
}

const ruleStates = (page: Page) =>
  page.$$eval('#rules li', (items) => Object.fromEntries(items.map((li) => [li.dataset.rule, li.dataset.state])));

const passwordField = (page: Page) => page.getByLabel('Nuova password', { exact: true });
const confirmField = (page: Page) => page.getByLabel('Ripeti la nuova password');
const message = (page: Page) => page.locator('#message');

/** Waits, as long as the server may take on a loaded machine, until the element says `text`. */
const shows = (element: Locator, text: string) => element.filter({ hasText: text }).waitFor({ timeout: 30_000 });

describe('the password-setup page in Chromium', () => {
  it('refuses a weak password, explains a refusal of the server, sets a good one, then explains the used link and offers a reset', async () => {
    const { address, link } = await activatedMailbox(local.api);
    const { page, problems, close } = await chromium.open(link);

    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Password della casella PEC');
    expect(await page.getByRole('heading', { level: 2, name: 'Scegli la password' }).isVisible()).toBe(true);
    expect(Object.keys(await ruleStates(page))).toEqual(PASSWORD_RULES.map((rule) => rule.id));
    await checkState(page, problems);
    await chromium.screenshot(page, '01-form');

    // As the holder types, the rules show which are met.
    await passwordField(page).pressSequentially('password');
    expect(await ruleStates(page)).toMatchObject({
      minLength: 'unmet',
      lowerCase: 'met',
      upperCase: 'unmet',
      digit: 'unmet',
      symbol: 'unmet',
      edgeSpace: 'met',
      addressPart: 'pending',
    });
    await checkState(page, problems);
    await chromium.screenshot(page, '02-typing-a-weak-password');

    await confirmField(page).fill('password');
    await page.getByRole('button', { name: 'Imposta la password' }).click();
    await shows(message(page), 'non rispetta ancora queste regole');
    expect(await message(page).textContent()).toContain('Almeno una lettera maiuscola');
    expect(await passwordField(page).getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    await checkState(page, problems);
    await chromium.screenshot(page, '03-weak-password-refused');

    // Every rule the browser can check is met, but the server finds part of the address in it.
    const fromAddress = `${address.split('.')[0]?.replace(/^./, (c) => c.toUpperCase())}-Cavallo-42!`;
    await passwordField(page).fill(fromAddress);
    await confirmField(page).fill(fromAddress);
    await page.getByRole('button', { name: 'Imposta la password' }).click();
    await shows(message(page), 'non è stata accettata');
    expect(await message(page).textContent()).toContain("Nessuna parte dell'indirizzo della casella");
    expect((await ruleStates(page)).addressPart).toBe('unmet');
    await checkState(page, problems);
    await chromium.screenshot(page, '04-refused-by-the-server');

    await passwordField(page).fill(GOOD);
    await confirmField(page).fill(GOOD);
    await page.getByRole('button', { name: 'Imposta la password' }).click();
    const done = page.getByRole('heading', { name: 'Password impostata' });
    await done.waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('done-title');
    expect((await local.api.get(`/mailboxes/${encodeURIComponent(address)}`)).json.passwordSet).toBe(true);
    await checkState(page, problems);
    await chromium.screenshot(page, '05-password-set');

    // The same link again: used.
    await page.goto(link);
    await passwordField(page).fill(GOOD);
    await confirmField(page).fill(GOOD);
    await page.getByRole('button', { name: 'Imposta la password' }).click();
    await page.getByRole('heading', { name: 'Link non più valido' }).waitFor();
    expect(await page.locator('#gone-reason').textContent()).toContain('è già stato usato, è scaduto');
    expect(await page.locator('#gone').textContent()).toContain('chi ti ha venduto la casella PEC');
    await checkState(page, problems);
    await chromium.screenshot(page, '06-link-already-used');

    // What to do next: ask for a reset link from the page, and use it.
    await page.getByLabel('Indirizzo della casella PEC').fill(address);
    await page.getByRole('button', { name: 'Invia il link per reimpostare la password' }).click();
    await shows(page.locator('#reset-message'), 'Richiesta ricevuta');
    await checkState(page, problems);
    await chromium.screenshot(page, '07-reset-asked-for');
    const [resetEmail] = (await emailsAbout(local.api, address)).filter((m) => m.subject.startsWith('Reimposta'));
    await page.goto(linkIn(resetEmail));
    await passwordField(page).fill('Nuova-Frase-Sicura-7?');
    await confirmField(page).fill('Nuova-Frase-Sicura-7?');
    await page.getByRole('button', { name: 'Imposta la password' }).click();
    await page.getByRole('heading', { name: 'Password impostata' }).waitFor();
    await checkState(page, problems);
    await close();
  });

  it('works by keyboard alone, with a visible focus on every control', async () => {
    const { link } = await activatedMailbox(local.api);
    const { page, problems, close } = await chromium.open(link);
    const tab = async () => {
      await page.keyboard.press('Tab');
      return focusState(page);
    };

    expect(await tab()).toEqual({ id: 'password', visibleFocus: true });
    await page.keyboard.type(GOOD);
    expect(await tab()).toEqual({ id: 'confirm', visibleFocus: true });
    await page.keyboard.type(GOOD);
    expect(await tab()).toEqual({ id: 'show', visibleFocus: true });
    await page.keyboard.press('Space');
    expect(await passwordField(page).getAttribute('type')).toBe('text');
    expect(await page.locator('#confirm-hint').textContent()).toBe('Le due password coincidono.');
    await checkState(page, problems);
    await chromium.screenshot(page, '08-keyboard-focus-on-show-password');
    expect(await tab()).toEqual({ id: 'submit', visibleFocus: true });
    await chromium.screenshot(page, '09-keyboard-focus-on-submit');

    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Password impostata' }).waitFor();
    await checkState(page, problems);
    await close();
  });

  it('fits a phone: no sideways scrolling, full-width fields, touch-sized buttons', async () => {
    const { link } = await activatedMailbox(local.api);
    const { page, problems, close } = await chromium.open(link, PHONE);

    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      width: window.innerWidth,
      fieldWidths: [...document.querySelectorAll('input[type=password]')].map((f) => f.getBoundingClientRect().width),
      fieldFontPx: Number.parseFloat(getComputedStyle(document.getElementById('password') as Element).fontSize),
      buttonHeight: document.getElementById('submit')?.getBoundingClientRect().height ?? 0,
    }));
    expect(layout.width).toBe(390);
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.width);
    for (const width of layout.fieldWidths) expect(width).toBeGreaterThan(layout.width * 0.85);
    // At 16 px or more a phone does not zoom into the field; 44 px is a comfortable touch target.
    expect(layout.fieldFontPx).toBeGreaterThanOrEqual(16);
    expect(layout.buttonHeight).toBeGreaterThanOrEqual(44);
    await checkState(page, problems);
    await chromium.screenshot(page, '10-phone-form');

    await passwordField(page).tap();
    await page.keyboard.type('sole2026');
    await page.getByRole('button', { name: 'Imposta la password' }).tap();
    await shows(message(page), 'non rispetta ancora queste regole');
    await checkState(page, problems);
    await chromium.screenshot(page, '11-phone-weak-password-refused');
    await close();
  });

  it('explains a link that is not valid: missing or malformed token, or one that was never issued', async () => {
    const invalid = await chromium.open(`${local.runtime.url}/password-setup?token=incompleto`, PHONE);
    expect(await invalid.page.getByRole('heading', { name: 'Link non valido' }).isVisible()).toBe(true);
    expect(await invalid.page.locator('#password-form').count()).toBe(0);
    await checkState(invalid.page, invalid.problems);
    await chromium.screenshot(invalid.page, '12-phone-invalid-link');
    await invalid.close();

    const unknown = await chromium.open(
      `${local.runtime.url}/password-setup?token=${randomBytes(32).toString('base64url')}`,
    );
    await passwordField(unknown.page).fill(GOOD);
    await confirmField(unknown.page).fill(GOOD);
    await unknown.page.getByRole('button', { name: 'Imposta la password' }).click();
    await unknown.page.getByRole('heading', { name: 'Link non valido' }).waitFor();
    expect(await unknown.page.locator('#gone-reason').textContent()).toContain("l'ultima email ricevuta");
    await checkState(unknown.page, unknown.problems);
    await chromium.screenshot(unknown.page, '13-unknown-link');
    await unknown.close();
  });
});
