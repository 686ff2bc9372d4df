import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { passwordSetupPage } from '../../../functions/adapters/http/password-setup-page.ts';
import { breaksCheck, PASSWORD_RULES, passwordProblems } from '../../../functions/domain/password-policy.ts';
import { PasswordResetRequestSchema } from '../../../functions/domain/schemas.ts';

const TOKEN = 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c';
const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const inline = (html: string, tag: 'script' | 'style') =>
  html.match(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`))?.[1] ?? 'missing';

describe('passwordSetupPage', () => {
  it('is the form for a well-formed token, with every rule of the policy', () => {
    const { html } = passwordSetupPage(TOKEN);

    expect(html).toContain(`<input type="hidden" id="token" value="${TOKEN}">`);
    expect(html).toContain('id="password-form"');
    for (const rule of PASSWORD_RULES) expect(html).toContain(`<li data-rule="${rule.id}" data-state="pending">`);
    expect(html).toMatch(/<section id="gone"[^>]* hidden>/);
  });

  it.each([undefined, '', 'short', `${TOKEN}x`, `${TOKEN.slice(1)}"`])(
    'says the link is not valid for the token %j, and echoes nothing of it',
    (token) => {
      const { html } = passwordSetupPage(token);

      expect(html).not.toContain('id="password-form"');
      expect(html).toMatch(/<section id="gone" aria-labelledby="gone-title">/);
      expect(html).toContain('Il link che hai aperto non è completo o non è valido');
      if (token) expect(html).not.toContain(token);
    },
  );

  it('allows exactly its own inline script and style by their hashes', () => {
    const { html, headers } = passwordSetupPage(TOKEN);
    const policy = headers['content-security-policy'] ?? '';

    expect(policy).toContain(`script-src ${hashOf(inline(html, 'script'))}`);
    expect(policy).toContain(`style-src ${hashOf(inline(html, 'style'))}`);
    expect(policy).not.toContain('unsafe-inline');
    expect(html).not.toMatch(/ style="/);
    expect(headers).toMatchObject({ 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
  });
});

describe('breaksCheck, as the page embeds it', () => {
  // The source alone, run where nothing of this module exists: it must need nothing outside itself.
  const embedded = runInNewContext(`(${breaksCheck.toString()})`) as typeof breaksCheck;
  const browserRules = PASSWORD_RULES.filter((rule) => rule.check.kind !== 'addressPart');

  it('judges every password exactly as the server does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 140 }), (password) => {
        const byPage = browserRules.filter((rule) => embedded(rule.check, password)).map((rule) => rule.problem);
        expect(byPage).toEqual(passwordProblems(password));
      }),
      { numRuns: 500 },
    );
  });
});

describe('POST /password-reset body', () => {
  it.each(['mario.rossi@pec.it', ' Mario.Rossi@PEC.it ', 'info@rossi-costruzioni.it'])(
    'takes %j: a generic PEC domain or a holder’s own',
    (address) => {
      expect(PasswordResetRequestSchema.safeParse({ address }).success).toBe(true);
    },
  );

  it.each(['not an address', 'mario@', '@pec.it', 'a@b@pec.it', 'mario@localhost'])('refuses %j', (address) => {
    expect(PasswordResetRequestSchema.safeParse({ address }).success).toBe(false);
  });
});
