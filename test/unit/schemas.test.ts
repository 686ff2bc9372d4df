import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { catalog } from '../../functions/domain/catalog.ts';
import { ValidationError } from '../../functions/domain/errors.ts';
import {
  AddressSchema,
  AutoRenewRequestSchema,
  AvailabilityQuerySchema,
  AvailabilityResponseSchema,
  CatalogResponseSchema,
  CreateOrderRequestSchema,
  fieldErrors,
  PasswordSetupRequestSchema,
  PaymentWebhookEventSchema,
  ProblemSchema,
  PublicMailboxSchema,
  PublicOrderSchema,
  parseOrThrow,
  RenewalRequestSchema,
} from '../../functions/domain/schemas.ts';
import { CONTRACT_ORDER_EXAMPLE } from '../../local/contract-example.ts';

/** The body of CONTRACT.md "POST /orders body", verbatim. */
const contractBody = CONTRACT_ORDER_EXAMPLE;

const companyHolder = {
  kind: 'company',
  companyName: 'Bianchi S.r.l.',
  fiscalCode: '12345678903',
  vatNumber: '12345678903',
  residence: { street: 'Corso Italia 10', postalCode: '20122', city: 'Milano', province: 'MI' },
  phone: '02 1234567',
  email: 'amministrazione@bianchi.example',
};

/**
 * A deep copy of `body` with the field at the dotted `path` set to `value`, or removed when `value`
 * is undefined.
 */
function withField(body: object, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body) as Record<string, unknown>;
  const keys = path.split('.');
  const last = keys.pop() as string;
  let target = copy;
  for (const key of keys) target = target[key] as Record<string, unknown>;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

function errorsOf(schema: z.ZodType, input: unknown) {
  const result = schema.safeParse(input);
  return result.success ? [] : fieldErrors(result.error.issues);
}

const pathsOf = (schema: z.ZodType, input: unknown) => errorsOf(schema, input).map((error) => error.path);

describe('CreateOrderRequestSchema', () => {
  it("accepts the contract's example body", () => {
    const order = CreateOrderRequestSchema.parse(contractBody);
    expect(order).toEqual({ ...contractBody, mailbox: { ...contractBody.mailbox, domainPec: false } });
  });

  it('normalises what people type', () => {
    let body = withField(contractBody, 'mailbox.address', '  Mario.Rossi@PEC.it ');
    body = withField(body, 'holder.fiscalCode', ' rssmra85t10a562s');
    body = withField(body, 'holder.residence.province', 'ar');
    body = withField(body, 'billing.recipientCode', 'abc1234');
    const order = CreateOrderRequestSchema.parse(body);
    expect(order.mailbox.address).toBe('mario.rossi@pec.it');
    expect(order.holder.fiscalCode).toBe('RSSMRA85T10A562S');
    expect(order.holder.residence.province).toBe('AR');
    expect(order.billing.recipientCode).toBe('ABC1234');
  });

  it.each([
    ['mailbox.address', 'mario.rossi@gmail.com'],
    ['mailbox.address', 'mario..rossi@pec.it'],
    ['mailbox.address', 42],
    ['mailbox.address', undefined],
    ['mailbox.type', 'gold'],
    ['mailbox.domainPec', 'yes'],
    ['years', 0],
    ['years', 6],
    ['years', 1.5],
    ['years', '1'],
    ['holder.kind', 'alien'],
    ['holder.kind', undefined],
    ['holder.firstName', '   '],
    ['holder.lastName', undefined],
    ['holder.fiscalCode', 'RSSMRA85T10A562T'],
    ['holder.fiscalCode', '12345678903'],
    ['holder.fiscalCode', undefined],
    ['holder.vatNumber', '12345678901'],
    ['holder.vatNumber', '1234567890'],
    ['holder.residence.street', ''],
    ['holder.residence.postalCode', '5210'],
    ['holder.residence.postalCode', 'ABCDE'],
    ['holder.residence.postalCode', 52100],
    ['holder.residence.city', undefined],
    ['holder.residence.province', 'VS'],
    ['holder.residence.province', 'Arezzo'],
    ['holder.phone', 'call me'],
    ['holder.phone', '12345'],
    ['holder.phone', `+${'1'.repeat(21)}`],
    ['holder.phone', '+39 0575 00-00-00'],
    ['holder.email', 'mario.rossi'],
    ['billing.recipientCode', 'ABC'],
    ['billing.recipientCode', 'ABC-123'],
    ['payment.method', 'bitcoin'],
    ['payment.token', ''],
    ['payment.token', 'x'.repeat(201)],
    ['consents.termsVersion', '2025-01'],
    ['consents.termsVersion', undefined],
    ['consents.termsVersion', 202601],
    ['payment.token', 'pm_card_visa'],
    ['payment.token', `tok_${'x'.repeat(252)}`],
  ])('reports %s = %j under that path, and nothing else', (path, value) => {
    expect(pathsOf(CreateOrderRequestSchema, withField(contractBody, path, value))).toEqual([path]);
  });

  it('reports a bad billing PEC address under billing.pecAddress', () => {
    const body = { ...contractBody, billing: { pecAddress: 'not an address' } };
    expect(pathsOf(CreateOrderRequestSchema, body)).toEqual(['billing.pecAddress']);
  });

  it.each([
    ['neither', {}],
    ['both', { recipientCode: '0000000', pecAddress: 'fatture@pec.it' }],
  ])('wants exactly one billing identifier, not %s', (_case, billing) => {
    expect(errorsOf(CreateOrderRequestSchema, { ...contractBody, billing })).toEqual([
      { path: 'billing', message: 'Give exactly one of recipientCode or pecAddress.' },
    ]);
  });

  it('accepts billing by PEC address', () => {
    const body = { ...contractBody, billing: { pecAddress: 'fatture@pec.it' } };
    expect(CreateOrderRequestSchema.parse(body).billing).toEqual({ pecAddress: 'fatture@pec.it' });
  });

  it('reports every failing field of a body with many mistakes', () => {
    const body = {
      mailbox: { address: 'Mario..Rossi@gmail.com', type: 'gold' },
      years: 9,
      holder: {
        kind: 'company',
        companyName: '',
        fiscalCode: 'RSSMRA85T10A562X',
        residence: { street: 'Via Roma 1', postalCode: '521', city: '', province: 'VS' },
        phone: 'call me',
        email: 'nope',
      },
      billing: { recipientCode: 'abc', pecAddress: 'x' },
      payment: { method: 'card' },
    };
    expect(pathsOf(CreateOrderRequestSchema, body).sort()).toEqual(
      [
        'mailbox.type',
        'mailbox.address',
        'years',
        'holder.companyName',
        'holder.fiscalCode',
        'holder.vatNumber',
        'holder.residence.postalCode',
        'holder.residence.city',
        'holder.residence.province',
        'holder.phone',
        'holder.email',
        'billing.recipientCode',
        'billing.pecAddress',
        'billing',
        'payment',
        'consents.termsVersion',
      ].sort(),
    );
  });

  it('reports every missing part of an empty body, the conditions by the version to accept', () => {
    expect(pathsOf(CreateOrderRequestSchema, {})).toEqual([
      'mailbox',
      'years',
      'holder',
      'billing',
      'payment',
      'consents.termsVersion',
    ]);
  });

  describe('consents', () => {
    it('wants the version of the conditions in force, named by the catalog', () => {
      expect(catalog.terms.version).toBe('2026-01');
      expect(CreateOrderRequestSchema.parse(contractBody).consents).toEqual({ termsVersion: catalog.terms.version });
    });

    it.each([
      ['missing', undefined],
      ['null', null],
      ['empty', {}],
    ])('names consents.termsVersion when the consents are %s, and says which version to accept', (_case, consents) => {
      const body = withField(contractBody, 'consents', consents);
      expect(errorsOf(CreateOrderRequestSchema, body)).toEqual([
        { path: 'consents.termsVersion', message: expect.stringContaining(`version ${catalog.terms.version}`) },
      ]);
    });

    it('refuses an earlier version, naming the current one and where to read it', () => {
      const [error] = errorsOf(CreateOrderRequestSchema, withField(contractBody, 'consents.termsVersion', '2025-06'));
      expect(error?.path).toBe('consents.termsVersion');
      expect(error?.message).toContain(catalog.terms.version);
      expect(error?.message).toContain(catalog.terms.url);
    });

    it('is not asked of a renewal', () => {
      expect(RenewalRequestSchema.safeParse({ years: 1, payment: { method: 'postal_slip' } }).success).toBe(true);
    });
  });

  it('reports a body that is not an object under (body)', () => {
    expect(errorsOf(CreateOrderRequestSchema, 'hello')).toEqual([
      { path: '(body)', message: expect.stringContaining('expected object') },
    ]);
  });

  describe('domainPec', () => {
    const ownDomain = { address: 'info@studiobianchi.it', type: 'standard', domainPec: true };

    it('accepts a Standard mailbox on the holder own domain', () => {
      expect(CreateOrderRequestSchema.parse({ ...contractBody, mailbox: ownDomain }).mailbox).toEqual(ownDomain);
    });

    it('refuses a generic domain with domainPec', () => {
      const body = { ...contractBody, mailbox: { ...ownDomain, address: 'info@pec.it' } };
      expect(errorsOf(CreateOrderRequestSchema, body)).toEqual([
        { path: 'mailbox.address', message: expect.stringContaining('generic PEC domain pec.it') },
      ]);
    });

    it('refuses a public mailbox provider’s domain with domainPec, naming mailbox.address', () => {
      const body = { ...contractBody, mailbox: { ...ownDomain, address: 'Mario.Rossi@GMail.com' } };
      expect(errorsOf(CreateOrderRequestSchema, body)).toEqual([
        { path: 'mailbox.address', message: expect.stringContaining('public mailbox provider gmail.com') },
      ]);
    });

    it('refuses an own domain without domainPec', () => {
      const body = { ...contractBody, mailbox: { ...ownDomain, domainPec: false } };
      expect(pathsOf(CreateOrderRequestSchema, body)).toEqual(['mailbox.address']);
    });

    it.each(['pro', 'premium'])('is Standard only, not %s', (type) => {
      const body = { ...contractBody, mailbox: { ...ownDomain, type } };
      expect(errorsOf(CreateOrderRequestSchema, body)).toEqual([
        { path: 'mailbox.domainPec', message: 'PEC on your own domain is sold as Standard only.' },
      ]);
    });

    it('still checks the address when the type is unknown', () => {
      const body = { ...contractBody, mailbox: { address: 'info@pec.it', type: 'gold', domainPec: true } };
      expect(pathsOf(CreateOrderRequestSchema, body)).toEqual(['mailbox.type', 'mailbox.address']);
    });
  });

  describe('holder kinds', () => {
    it('accepts a person without a VAT number', () => {
      const body = withField(contractBody, 'holder.vatNumber', undefined);
      expect(CreateOrderRequestSchema.parse(body).holder).not.toHaveProperty('vatNumber');
    });

    it('accepts a company with an 11-digit fiscal code', () => {
      expect(CreateOrderRequestSchema.parse({ ...contractBody, holder: companyHolder }).holder).toEqual(companyHolder);
    });

    it("accepts a company whose fiscal code is its owner's personal code", () => {
      const holder = { ...companyHolder, fiscalCode: 'RSSMRA85T10A562S' };
      expect(CreateOrderRequestSchema.safeParse({ ...contractBody, holder }).success).toBe(true);
    });

    it.each([
      ['holder.vatNumber', undefined],
      ['holder.companyName', undefined],
      ['holder.fiscalCode', '12345678904'],
      ['holder.fiscalCode', '123456789'],
    ])('reports a company with %s = %j', (path, value) => {
      const body = withField({ ...contractBody, holder: companyHolder }, path, value);
      expect(pathsOf(CreateOrderRequestSchema, body)).toEqual([path]);
    });

    it('accepts an association without a VAT number but wants its name', () => {
      const { vatNumber: _vat, ...association } = { ...companyHolder, kind: 'association' };
      expect(CreateOrderRequestSchema.safeParse({ ...contractBody, holder: association }).success).toBe(true);
      const nameless = withField({ ...contractBody, holder: association }, 'holder.companyName', undefined);
      expect(pathsOf(CreateOrderRequestSchema, nameless)).toEqual(['holder.companyName']);
    });
  });

  describe('payment', () => {
    it.each(['bank_transfer', 'postal_slip'])('accepts %s without a token', (method) => {
      expect(CreateOrderRequestSchema.parse({ ...contractBody, payment: { method } }).payment).toEqual({ method });
    });

    it('accepts paypal with a token', () => {
      const payment = { method: 'paypal', token: 'tok_paypal_1' };
      expect(CreateOrderRequestSchema.parse({ ...contractBody, payment }).payment).toEqual(payment);
    });

    it.each(['card', 'paypal'])('accepts %s with a Stripe PaymentMethod id', (method) => {
      const payment = { method, paymentMethod: 'pm_card_visa' };
      expect(CreateOrderRequestSchema.parse({ ...contractBody, payment }).payment).toEqual(payment);
    });

    it.each([
      ['neither', { method: 'card' }],
      ['both', { method: 'card', paymentMethod: 'pm_card_visa', token: 'tok_visa' }],
    ])('wants exactly one of paymentMethod or token, not %s', (_case, payment) => {
      expect(errorsOf(CreateOrderRequestSchema, { ...contractBody, payment })).toEqual([
        { path: 'payment', message: 'Give exactly one of paymentMethod or token.' },
      ]);
    });

    it('names a paymentMethod that is not a PaymentMethod id', () => {
      const payment = { method: 'card', paymentMethod: 'tok_visa' };
      expect(pathsOf(CreateOrderRequestSchema, { ...contractBody, payment })).toEqual(['payment.paymentMethod']);
    });
  });
});

describe('AddressSchema and AvailabilityQuerySchema', () => {
  it('normalises and accepts an address on a generic domain', () => {
    expect(AddressSchema.parse(' Mario.Rossi@PEC.IT ')).toBe('mario.rossi@pec.it');
    expect(AvailabilityQuerySchema.parse({ address: 'MARIO@pec.it' })).toEqual({ address: 'mario@pec.it' });
  });

  it('explains why an address is refused', () => {
    expect(errorsOf(AvailabilityQuerySchema, { address: 'mario@gmail.com' })).toEqual([
      { path: 'address', message: expect.stringContaining('generic PEC domains') },
    ]);
    expect(pathsOf(AvailabilityQuerySchema, {})).toEqual(['address']);
  });
});

describe('PasswordSetupRequestSchema', () => {
  it('accepts a token and any password up to 256 characters (the policy is applied later)', () => {
    expect(PasswordSetupRequestSchema.parse({ token: 'abc', password: 'weak' })).toEqual({
      token: 'abc',
      password: 'weak',
    });
  });

  it('reports an empty token and an overlong password', () => {
    expect(pathsOf(PasswordSetupRequestSchema, { token: '', password: 'x'.repeat(257) })).toEqual([
      'token',
      'password',
    ]);
  });
});

describe('AutoRenewRequestSchema and RenewalRequestSchema', () => {
  it('wants a boolean', () => {
    expect(AutoRenewRequestSchema.parse({ enabled: true })).toEqual({ enabled: true });
    expect(pathsOf(AutoRenewRequestSchema, { enabled: 'yes' })).toEqual(['enabled']);
  });

  it('takes years and a payment like an order', () => {
    const renewal = { years: 2, payment: { method: 'bank_transfer' } };
    expect(RenewalRequestSchema.parse(renewal)).toEqual(renewal);
    expect(pathsOf(RenewalRequestSchema, { years: 6, payment: { method: 'card' } })).toEqual(['years', 'payment']);
  });
});

describe('PaymentWebhookEventSchema', () => {
  const event = {
    id: 'evt_123',
    type: 'credit.registered',
    orderId: '7M3K9QX2ZP1A',
    amountCents: 610,
    currency: 'EUR',
    occurredAt: '2026-01-15T10:00:00.000Z',
  };

  it('accepts a provider event, in any ISO 4217 currency (a credit not in euro is recorded to refund)', () => {
    expect(PaymentWebhookEventSchema.parse(event)).toEqual(event);
    expect(PaymentWebhookEventSchema.parse({ ...event, currency: 'USD' })).toEqual({ ...event, currency: 'USD' });
    expect(PaymentWebhookEventSchema.safeParse({ ...event, occurredAt: '2026-01-15T11:00:00+01:00' }).success).toBe(
      true,
    );
  });

  it.each([
    ['id', 'ev_123'],
    ['type', 'refund.created'],
    ['orderId', ''],
    ['amountCents', -1],
    ['amountCents', 6.1],
    ['currency', 'euro'],
    ['currency', 'EURO'],
    ['occurredAt', 'yesterday'],
  ])('reports %s = %j', (path, value) => {
    expect(pathsOf(PaymentWebhookEventSchema, { ...event, [path]: value })).toEqual([path]);
  });
});

describe('response schemas', () => {
  it("describe the contract's order", () => {
    const order = {
      orderId: '7M3K9QX2ZP1A',
      kind: 'new',
      status: 'pending_payment',
      mailbox: { address: 'mario.rossi@pec.it', type: 'standard', domainPec: false },
      years: 1,
      totals: { netCents: 500, vatCents: 110, grossCents: 610 },
      payment: { method: 'bank_transfer', status: 'pending', reference: 'RF18539007547034' },
      createdAt: '2026-01-15T10:00:00.000Z',
      paidAt: null,
      completedAt: null,
    };
    expect(PublicOrderSchema.parse(order)).toEqual(order);
    expect(pathsOf(PublicOrderSchema, { ...order, status: 'shipped' })).toEqual(['status']);
  });

  it("describe the contract's mailbox, activating or active", () => {
    const mailbox = {
      address: 'mario.rossi@pec.it',
      type: 'standard',
      status: 'active',
      domainPec: false,
      activatedAt: '2026-01-15T10:00:00.000Z',
      expiresAt: '2027-01-15T10:00:00.000Z',
      autoRenew: true,
      passwordSet: false,
    };
    expect(PublicMailboxSchema.parse(mailbox)).toEqual(mailbox);
    const activating = { ...mailbox, status: 'activating', activatedAt: null, expiresAt: null };
    expect(PublicMailboxSchema.parse(activating)).toEqual(activating);
  });

  it('describe the catalog as the domain holds it, with the MX hosts for PEC on one’s own domain', () => {
    const served = { ...catalog, domainPec: { mxHosts: ['mx1.pec.example.com'] } };
    expect(CatalogResponseSchema.parse(served)).toEqual(served);
    expect(pathsOf(CatalogResponseSchema, catalog)).toEqual(['domainPec']);
  });

  it('describe availability and problems', () => {
    expect(AvailabilityResponseSchema.parse({ address: 'a@pec.it', available: false, reason: 'taken' })).toBeTruthy();
    const problem = {
      type: 'https://pec-provisioning.dev/problems/validation_failed',
      title: 'Bad Request',
      status: 400,
      detail: 'The request has invalid fields.',
      code: 'validation_failed',
      errors: [{ path: 'holder.fiscalCode', message: 'A personal fiscal code has 16 characters.' }],
    };
    expect(ProblemSchema.parse(problem)).toEqual(problem);
  });
});

describe('fieldErrors', () => {
  it('joins array indexes into the dotted path', () => {
    const broken = {
      ...catalog,
      plans: [catalog.plans[0], { ...catalog.plans[1], type: 'gold' }],
      domainPec: { mxHosts: ['mx1.pec.example.com'] },
    };
    expect(pathsOf(CatalogResponseSchema, broken)).toEqual(['plans.1.type']);
  });
});

describe('parseOrThrow', () => {
  it('returns the parsed value', () => {
    expect(parseOrThrow(AutoRenewRequestSchema, { enabled: false })).toEqual({ enabled: false });
  });

  it('throws a ValidationError naming every failing field', () => {
    let thrown: unknown;
    try {
      parseOrThrow(RenewalRequestSchema, { years: 0 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).errors.map((error) => error.path)).toEqual(['years', 'payment']);
  });
});
