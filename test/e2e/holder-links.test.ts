import { describe, expect, it } from 'vitest';
import { PASSWORD_RULES } from '../../functions/domain/password-policy.ts';
import { freshAddress } from '../support/fixtures.ts';
import {
  activatedMailbox,
  emailsAbout,
  linkIn,
  mailboxWithPassword,
  setPassword,
  tokenOfLink,
} from '../support/holder.ts';
import { withLocalRuntime } from '../support/runtime.ts';

const local = withLocalRuntime();

const PASSWORD = 'Sole-Luna-2026!';
const path = (address: string) => `/mailboxes/${encodeURIComponent(address)}/first-access-link`;
const reset = (address: unknown) => local.api.post('/password-reset', { address }, { apiKey: null });
const newFirstAccessLink = (address: string) => local.api.post(path(address), undefined);

describe('GET /password-setup: the page the links open', () => {
  it('is where the activation email links to, in Italian, with every rule of the password policy', async () => {
    const { link } = await activatedMailbox(local.api);
    expect(link).toMatch(new RegExp(`^${local.runtime.url}/password-setup\\?token=[A-Za-z0-9_-]{43}$`));

    const page = await fetch(link);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<html lang="it">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain(`value="${tokenOfLink(link)}"`);
    expect(html).toContain('<label for="password">Nuova password</label>');
    for (const rule of PASSWORD_RULES) expect(html).toContain(`data-rule="${rule.id}"`);
    expect(html).toContain('Almeno 10 caratteri');
  });

  it('allows only its own inline script and style, and never sends the token on as a Referer', async () => {
    const page = await fetch(`${local.runtime.url}/password-setup?token=${'a'.repeat(43)}`);

    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(policy).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    ['without a token', ''],
    ['with a malformed token', '?token=abc'],
    ['with markup for a token', '?token=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
  ])('still renders (200) %s, saying the link is not valid and what to do', async (_case, query) => {
    const page = await fetch(`${local.runtime.url}/password-setup${query}`);

    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Link non valido');
    expect(html).toContain('id="reset-form"');
    expect(html).not.toContain('id="password-form"');
    expect(html).not.toContain('alert(1)');
  });
});

describe('POST /mailboxes/{address}/first-access-link', () => {
  it('emails a new link (202); the earlier link answers 410, the new one sets the password, then 409', async () => {
    const { address, link: first } = await activatedMailbox(local.api);

    const asked = await newFirstAccessLink(address);

    expect(asked.status).toBe(202);
    const emails = await emailsAbout(local.api, address);
    expect(emails).toHaveLength(2);
    expect(emails[1]).toMatchObject({
      to: ['mario.rossi@example.com'],
      subject: expect.stringContaining('Nuovo link'),
    });
    const second = linkIn(emails[1]);
    expect(tokenOfLink(second)).not.toBe(tokenOfLink(first));
    const old = await setPassword(local.api, tokenOfLink(first), PASSWORD);
    expect(old.status).toBe(410);
    expect(old.json).toMatchObject({ code: 'token_gone', detail: expect.stringContaining('newer one') });
    expect((await setPassword(local.api, tokenOfLink(second), PASSWORD)).status).toBe(204);

    const again = await newFirstAccessLink(address);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'password_already_set' });
    expect(await emailsAbout(local.api, address)).toHaveLength(2);
  });

  it('is 404 for an address without a mailbox and 401 without the storefront key', async () => {
    const missing = await newFirstAccessLink(freshAddress());
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'mailbox_not_found' });

    const { address } = await activatedMailbox(local.api);
    const anonymous = await local.api.post(path(address), undefined, { apiKey: null });
    expect(anonymous.status).toBe(401);
    expect(await emailsAbout(local.api, address)).toHaveLength(1);
  });

  it('is 429 after 5 in 24 hours for one mailbox, a problem document with Retry-After', async () => {
    const { address } = await activatedMailbox(local.api);
    for (let i = 0; i < 5; i++) expect((await newFirstAccessLink(address)).status).toBe(202);

    const sixth = await newFirstAccessLink(address);

    expect(sixth.status).toBe(429);
    expect(sixth.headers.get('content-type')).toBe('application/problem+json');
    expect(sixth.json).toMatchObject({ status: 429, code: 'too_many_requests', title: 'Too Many Requests' });
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(23 * 3600);
    expect(retryAfter).toBeLessThanOrEqual(24 * 3600);
    expect(await emailsAbout(local.api, address)).toHaveLength(6);
    // Another mailbox has its own count.
    expect((await newFirstAccessLink((await activatedMailbox(local.api)).address)).status).toBe(202);
  });
});

describe('POST /password-reset', () => {
  it('is 202 for an address without a mailbox, and emails nothing', async () => {
    const address = freshAddress();
    const before = (await local.api.outbox()).length;

    const response = await reset(address);

    expect(response.status).toBe(202);
    expect(response.text).toBe('');
    expect(await emailsAbout(local.api, address)).toEqual([]);
    expect((await local.api.outbox()).length).toBe(before);
  });

  it('is 202 and emails nothing for a mailbox whose password is not set yet', async () => {
    const { address } = await activatedMailbox(local.api);

    expect((await reset(address)).status).toBe(202);

    expect((await emailsAbout(local.api, address)).map((email) => email.subject)).toEqual([
      expect.stringContaining('è attiva'),
    ]);
  });

  it.each([
    ['a malformed address', { address: 'not an address' }, 'address'],
    ['no address', {}, 'address'],
  ])('is 400 for %s, naming the field', async (_case, body, field) => {
    const response = await local.api.post('/password-reset', body, { apiKey: null });

    expect(response.status).toBe(400);
    expect(response.json.errors).toEqual([{ path: field, message: expect.any(String) }]);
  });

  it('emails a single-use link valid one hour; a weak password is 400 naming the field, a good one 204, again 410', async () => {
    const address = await mailboxWithPassword(local.api);

    // The address as the holder may type it: upper case, spaces around.
    expect((await reset(` ${address.toUpperCase()} `)).status).toBe(202);

    const [email] = (await emailsAbout(local.api, address)).filter((m) => m.subject.startsWith('Reimposta'));
    expect(email?.to).toEqual(['mario.rossi@example.com']);
    // Valid one hour: the deployed default the local runtime runs with.
    const resetFunction = local.runtime.functions.find((fn) => fn.handler === 'request-password-reset');
    expect(resetFunction?.environment.RESET_TOKEN_TTL_SECONDS).toBe('3600');
    const link = linkIn(email);
    expect(link.startsWith(`${local.runtime.url}/password-setup?token=`)).toBe(true);
    const token = tokenOfLink(link);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);

    const weak = await setPassword(local.api, token, 'password');
    expect(weak.status).toBe(400);
    expect(weak.json.errors.length).toBeGreaterThan(0);
    expect(weak.json.errors.every((error: { path: string }) => error.path === 'password')).toBe(true);
    expect((await setPassword(local.api, token, 'Nuova-Frase-Sicura-7?')).status).toBe(204);
    const reused = await setPassword(local.api, token, 'Altra-Frase-Sicura-8?');
    expect(reused.status).toBe(410);
    expect(reused.json).toMatchObject({ code: 'token_gone', detail: 'This link was already used.' });
  });

  it('revokes the earlier unused reset link when another is asked for', async () => {
    const address = await mailboxWithPassword(local.api);
    await reset(address);
    await reset(address);

    const [first, second] = (await emailsAbout(local.api, address))
      .filter((m) => m.subject.startsWith('Reimposta'))
      .map((email) => tokenOfLink(linkIn(email)));

    expect((await setPassword(local.api, first ?? '', PASSWORD)).status).toBe(410);
    expect((await setPassword(local.api, second ?? '', PASSWORD)).status).toBe(204);
  });

  it('is 429 after 5 in 24 hours for one address, the same whether or not a mailbox has it', async () => {
    const existing = await mailboxWithPassword(local.api);
    const missing = freshAddress();
    for (let i = 0; i < 5; i++) {
      expect((await reset(existing)).status).toBe(202);
      expect((await reset(missing)).status).toBe(202);
    }

    const refusals = [await reset(existing), await reset(missing)];

    const shape = (response: (typeof refusals)[number]) => ({
      status: response.status,
      contentType: response.headers.get('content-type'),
      retryAfter: Number(response.headers.get('retry-after')) > 23 * 3600,
      body: { ...response.json, detail: response.json.detail.replace(/\d+ seconds/, 'N seconds') },
    });
    expect(shape(refusals[0] as (typeof refusals)[number])).toEqual(shape(refusals[1] as (typeof refusals)[number]));
    expect(refusals[0]?.status).toBe(429);
    expect(refusals[0]?.json.code).toBe('too_many_requests');
    expect((await emailsAbout(local.api, existing)).filter((m) => m.subject.startsWith('Reimposta'))).toHaveLength(5);
  });
});
