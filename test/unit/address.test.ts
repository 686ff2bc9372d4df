import { describe, expect, it } from 'vitest';
import { addressProblem, normalizeAddress, splitAddress } from '../../functions/domain/address.ts';

const generic = { domainPec: false };
const own = { domainPec: true };

describe('normalizeAddress', () => {
  it('trims and lower-cases', () => {
    expect(normalizeAddress('  Mario.Rossi@PEC.it\n')).toBe('mario.rossi@pec.it');
  });
});

describe('splitAddress', () => {
  it('splits at the @', () => {
    expect(splitAddress('mario.rossi@pec.it')).toEqual({ localPart: 'mario.rossi', domain: 'pec.it' });
  });

  it('throws without an @', () => {
    expect(() => splitAddress('mario.rossi')).toThrow(RangeError);
  });
});

describe('addressProblem on a generic domain', () => {
  it.each([
    'mario.rossi@pec.it',
    'm@arubapec.it',
    'studio-legale_bianchi.2024@pecditta.com',
    '1@pec.cloud',
    `${'a'.repeat(64)}@mypec.eu`,
  ])('accepts %s', (address) => {
    expect(addressProblem(address, generic)).toBeUndefined();
  });

  it.each([
    ['no @', 'mario.rossi.pec.it', /name@domain/],
    ['two @', 'mario@rossi@pec.it', /name@domain/],
    ['an empty name', '@pec.it', /empty/],
    ['a name over 64 characters', `${'a'.repeat(65)}@pec.it`, /at most 64/],
    ['upper case', 'Mario@pec.it', /lower-case/],
    ['a plus', 'mario+shop@pec.it', /lower-case letters a-z, digits, dots, hyphens and underscores/],
    ['an accented letter', 'niccolò@pec.it', /lower-case letters a-z/],
    ['a leading dot', '.mario@pec.it', /start and end/],
    ['a trailing hyphen', 'mario-@pec.it', /start and end/],
    ['a leading underscore', '_mario@pec.it', /start and end/],
    ['two dots', 'mario..rossi@pec.it', /in a row/],
    ['dot then hyphen', 'mario.-rossi@pec.it', /in a row/],
    ['an ordinary domain', 'mario.rossi@gmail.com', /generic PEC domains: pec\.it/],
    ['a subdomain of a generic domain', 'mario@legal.pec.it', /generic PEC domains/],
    ['an address over 254 characters', `mario@${'a'.repeat(250)}.it`, /at most 254/],
  ])('rejects %s', (_reason, address, message) => {
    expect(addressProblem(address, generic)).toMatch(message);
  });
});

describe('addressProblem on the holder own domain (domainPec)', () => {
  it.each(['info@studiobianchi.it', 'amministrazione@pec.studio-bianchi.com', 'info@xn--caff-dsa.it', 'a@b.co'])(
    'accepts %s',
    (address) => {
      expect(addressProblem(address, own)).toBeUndefined();
    },
  );

  it.each([
    ['a generic domain', 'info@pec.it', /belongs to the generic PEC domain pec\.it/],
    ['a subdomain of a generic domain', 'info@studio.arubapec.it', /belongs to the generic PEC domain arubapec\.it/],
    ['a single label', 'info@localhost', /not a valid domain/],
    ['a numeric top-level domain', 'info@10.0.0.1', /not a valid domain/],
    ['a label starting with a hyphen', 'info@-studio.it', /not a valid domain/],
    ['an empty label', 'info@studio..it', /not a valid domain/],
    ['a label over 63 characters', `info@${'a'.repeat(64)}.it`, /not a valid domain/],
    ['an underscore', 'info@studio_bianchi.it', /not a valid domain/],
    ['a bad name still', 'in..fo@studiobianchi.it', /in a row/],
  ])('rejects %s', (_reason, address, message) => {
    expect(addressProblem(address, own)).toMatch(message);
  });

  it.each([
    ['gmail.com', 'gmail.com'],
    ['googlemail.com', 'googlemail.com'],
    ['outlook.com', 'outlook.com'],
    ['hotmail.it', 'hotmail.it'],
    ['live.it', 'live.it'],
    ['yahoo.it', 'yahoo.it'],
    ['libero.it', 'libero.it'],
    ['virgilio.it', 'virgilio.it'],
    ['alice.it', 'alice.it'],
    ['tim.it', 'tim.it'],
    ['tin.it', 'tin.it'],
    ['email.it', 'email.it'],
    ['fastwebnet.it', 'fastwebnet.it'],
    ['icloud.com', 'icloud.com'],
    ['me.com', 'me.com'],
    ['aol.com', 'aol.com'],
    ['proton.me', 'proton.me'],
    ['protonmail.com', 'protonmail.com'],
    ['tiscali.it', 'tiscali.it'],
    ['inwind.it', 'inwind.it'],
    ['iol.it', 'iol.it'],
    ['gmx.de', 'gmx.de'],
    ['gmx.net', 'gmx.net'],
    ['gmx.it', 'gmx.it'],
    ['yahoo.co.uk', 'yahoo.co.uk'],
    ['hotmail.fr', 'hotmail.fr'],
    ['a subdomain of one', 'posta.libero.it'],
    ['a subdomain of a brand', 'mail.gmx.com'],
  ])('rejects a public mailbox provider: %s', (_reason, domain) => {
    expect(addressProblem(`mario.rossi@${domain}`, own)).toMatch(/public mailbox provider/);
  });

  it.each(['gmx-studio.it', 'studiogmail.com', 'gmail.com.studio.it', 'yahoo.example.it', 'outlook-consulting.com'])(
    'accepts a domain that only looks like a provider’s: %s',
    (domain) => {
      expect(addressProblem(`info@${domain}`, own)).toBeUndefined();
    },
  );

  it('names the provider whose domain it is', () => {
    expect(addressProblem('info@posta.libero.it', own)).toContain('the public mailbox provider libero.it');
  });
});
