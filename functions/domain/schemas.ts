/**
 * The one schema module: every request the API accepts is validated here, every answer it gives is
 * described here (each with its `z.infer` type, which the domain builds on), and the OpenAPI
 * document (`adapters/http/openapi.ts`) is generated from these same schemas.
 *
 * Validation reports every failing field at once, each under its dotted path: rules live on the
 * field they judge, and the few rules that span fields run even when a sibling field failed.
 */
import * as z from 'zod';
import { addressProblem } from './address.ts';
import { catalog, MAILBOX_TYPES, VAT_RATE_PERCENT } from './catalog.ts';
import { type FieldError, ValidationError } from './errors.ts';
import { isValidNumericFiscalCode, isValidPersonalFiscalCode, isValidVatNumber } from './fiscal-code.ts';
import { ORDER_STATUSES, PAYMENT_STATUSES, PUBLIC_MAILBOX_STATUSES } from './lifecycles.ts';
import { passwordProblems } from './password-policy.ts';
import { CREDIT_PAYMENT_METHODS, IMMEDIATE_PAYMENT_METHODS, PAYMENT_METHODS } from './payment-methods.ts';
import { isProvinceCode } from './provinces.ts';
import { MAX_EXTRA_GB } from './renewal-plan.ts';

const MIN_YEARS = Math.min(...catalog.years);
const MAX_YEARS = Math.max(...catalog.years);

export const HOLDER_KINDS = ['person', 'company', 'association'] as const;
export const ORDER_KINDS = ['new', 'renewal'] as const;
export const PAYMENT_EVENT_TYPES = ['credit.registered', 'payment.succeeded', 'payment.failed'] as const;

// --- shared pieces -----------------------------------------------------------------------------

const addressInput = z
  .string()
  .trim()
  .toLowerCase()
  .meta({ description: 'A PEC address, name@domain; trimmed and lower-cased.', examples: ['mario.rossi@pec.it'] });

const mailboxType = z.enum(MAILBOX_TYPES).meta({ description: 'The plan: see GET /catalog.' });

const years = z
  .number()
  .int()
  .min(MIN_YEARS)
  .max(MAX_YEARS)
  .meta({ description: `Years covered, ${MIN_YEARS} to ${MAX_YEARS}.` });

const trimmedText = (max: number) => z.string().trim().min(1).max(max);

/** A string rule whose message is computed: `problem` returns why the value is wrong, or undefined. */
const withProblem = <S extends z.ZodType<string>>(schema: S, problem: (value: string) => string | undefined) =>
  schema.superRefine((value, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  });

const upperCasedCode = () => z.string().trim().toUpperCase();

const personalFiscalCode = withProblem(upperCasedCode(), (code) => {
  if (code.length !== 16) return 'A personal fiscal code has 16 characters.';
  if (!isValidPersonalFiscalCode(code)) return 'This is not a valid personal fiscal code (layout or check character).';
  return undefined;
}).meta({ description: '16-character personal codice fiscale, checksum verified; upper-cased.' });

const entityFiscalCode = withProblem(upperCasedCode(), (code) => {
  if (code.length === 11) {
    return isValidNumericFiscalCode(code) ? undefined : 'This is not a valid 11-digit fiscal code (check digit).';
  }
  if (code.length === 16) {
    return isValidPersonalFiscalCode(code)
      ? undefined
      : 'This is not a valid personal fiscal code (layout or check character).';
  }
  return 'A fiscal code has 11 digits (companies, associations) or 16 characters (persons).';
}).meta({ description: '11-digit numeric codice fiscale or 16-character personal one, checksum verified.' });

const vatNumber = withProblem(z.string().trim(), (vat) =>
  isValidVatNumber(vat) ? undefined : 'A VAT number (partita IVA) has 11 digits and a valid check digit.',
).meta({ description: 'Partita IVA: 11 digits, checksum verified.', examples: ['12345678903'] });

const province = withProblem(upperCasedCode(), (code) =>
  isProvinceCode(code) ? undefined : 'This is not the code of an Italian province (e.g. RM, MI, AR).',
).meta({ description: 'Sigla of an Italian province or metropolitan city; upper-cased.', examples: ['AR'] });

const ResidenceSchema = z.object({
  street: trimmedText(200),
  postalCode: z
    .string()
    .trim()
    .regex(/^[0-9]{5}$/, 'A postal code (CAP) has 5 digits.'),
  city: trimmedText(100),
  province,
});

const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9](?: *[0-9]){5,19}$/, 'A phone number has 6 to 20 digits, optionally a leading + and spaces.')
  .meta({ examples: ['+39 0575 000000'] });

const email = z.email('This is not a valid email address.').max(254);

const token = z.string().min(1).max(200);

const holderContact = { residence: ResidenceSchema, phone, email };

// --- requests ----------------------------------------------------------------------------------

/** An address on one of the catalog's generic domains, as `GET /availability` takes it. */
export const AddressSchema = withProblem(addressInput, (address) => addressProblem(address, { domainPec: false }));
export type Address = z.infer<typeof AddressSchema>;

/**
 * Any address a mailbox may have: on a generic PEC domain, or on a holder's own domain (PEC on
 * one's own domain), as `POST /password-reset` takes it.
 */
export const MailboxAddressSchema = withProblem(addressInput, (address) =>
  addressProblem(address, { domainPec: false }) === undefined
    ? undefined
    : addressProblem(address, { domainPec: true }),
);

export const AvailabilityQuerySchema = z.object({ address: AddressSchema });
export type AvailabilityQuery = z.infer<typeof AvailabilityQuerySchema>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export const MailboxOrderSchema = z
  .object({
    address: addressInput.meta({
      description:
        "The PEC address, trimmed and lower-cased: on a generic catalog domain, or on the holder's own domain with domainPec.",
    }),
    type: mailboxType,
    domainPec: z.boolean().default(false).meta({
      description: "PEC on the holder's own domain instead of a generic one: Standard only, not expandable.",
    }),
  })
  .superRefine(
    ({ address, type, domainPec }, ctx) => {
      if (domainPec && (MAILBOX_TYPES as readonly string[]).includes(type) && type !== 'standard') {
        ctx.addIssue({
          code: 'custom',
          path: ['domainPec'],
          message: 'PEC on your own domain is sold as Standard only.',
        });
      }
      const problem = addressProblem(address, { domainPec });
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['address'], message: problem });
    },
    // The address rule depends on domainPec, so it cannot sit on the field; run it whenever both are
    // usable, even if `type` failed, so that a body with several mistakes gets them all at once.
    {
      when: ({ value }) => isRecord(value) && typeof value.address === 'string' && typeof value.domainPec === 'boolean',
    },
  );
export type MailboxOrder = z.infer<typeof MailboxOrderSchema>;

export const PersonHolderSchema = z.object({
  kind: z.literal('person'),
  firstName: trimmedText(100),
  lastName: trimmedText(100),
  fiscalCode: personalFiscalCode,
  vatNumber: vatNumber.optional(),
  ...holderContact,
});

export const CompanyHolderSchema = z.object({
  kind: z.literal('company'),
  companyName: trimmedText(200),
  fiscalCode: entityFiscalCode,
  vatNumber,
  ...holderContact,
});

export const AssociationHolderSchema = z.object({
  kind: z.literal('association'),
  companyName: trimmedText(200),
  fiscalCode: entityFiscalCode,
  vatNumber: vatNumber.optional(),
  ...holderContact,
});

export const HolderSchema = z.discriminatedUnion('kind', [
  PersonHolderSchema,
  CompanyHolderSchema,
  AssociationHolderSchema,
]);
export type Holder = z.infer<typeof HolderSchema>;

export const BillingSchema = z
  .object({
    recipientCode: withProblem(upperCasedCode(), (code) =>
      /^[A-Z0-9]{7}$/.test(code) ? undefined : 'A recipient code (codice destinatario) has 7 letters or digits.',
    )
      .meta({ description: 'SDI recipient code, 7 letters or digits; upper-cased.', examples: ['0000000'] })
      .optional(),
    pecAddress: email.meta({ description: 'PEC address where electronic invoices are delivered.' }).optional(),
  })
  .refine(({ recipientCode, pecAddress }) => (recipientCode === undefined) !== (pecAddress === undefined), {
    message: 'Give exactly one of recipientCode or pecAddress.',
  })
  .meta({
    description: 'Where the electronic invoice goes: exactly one of recipientCode or pecAddress.',
    oneOf: [{ required: ['recipientCode'] }, { required: ['pecAddress'] }],
  });
export type Billing = z.infer<typeof BillingSchema>;

/** A Stripe object id: its prefix, then letters, digits and `_` (test ids such as `pm_card_visa` included). */
const stripeId = (prefix: string, what: string) =>
  z
    .string()
    .max(255)
    .regex(new RegExp(`^${prefix}[A-Za-z0-9_]+$`), `${what} starts with ${prefix} and has letters, digits or _.`);

export const PaymentRequestSchema = z
  .discriminatedUnion('method', [
    z
      .object({
        method: z.enum(IMMEDIATE_PAYMENT_METHODS),
        paymentMethod: stripeId('pm_', 'A Stripe PaymentMethod id')
          .meta({
            description: 'The Stripe PaymentMethod the storefront collected (Stripe.js).',
            examples: ['pm_card_visa'],
          })
          .optional(),
        token: stripeId('tok_', 'A Stripe token')
          .meta({ description: 'The older Stripe token of a card.', examples: ['tok_visa'] })
          .optional(),
      })
      .refine(({ paymentMethod, token }) => (paymentMethod === undefined) !== (token === undefined), {
        message: 'Give exactly one of paymentMethod or token.',
      })
      // Each branch names its property too, so that generated clients require one of them.
      .meta({
        oneOf: [
          { properties: { paymentMethod: { type: 'string' } }, required: ['paymentMethod'] },
          { properties: { token: { type: 'string' } }, required: ['token'] },
        ],
      }),
    z.object({ method: z.enum(CREDIT_PAYMENT_METHODS) }),
  ])
  .meta({
    description:
      'card and paypal are charged at once, with exactly one of paymentMethod (pm_...) or token (tok_...); ' +
      'bank_transfer and postal_slip wait for the credit.',
  });
export type PaymentRequest = z.infer<typeof PaymentRequestSchema>;

const currentTerms = () =>
  `the general contract conditions in force are version ${catalog.terms.version} (GET /catalog, terms: ${catalog.terms.url})`;

export const ConsentsSchema = z
  .object({
    termsVersion: z
      .string({ error: () => `Required: the holder must accept ${currentTerms()}.` })
      .refine((version) => version === catalog.terms.version, {
        error: () => `Not the current version: ${currentTerms()}; the holder must accept that one.`,
      })
      .meta({
        description: 'The version of the general contract conditions the holder accepted: GET /catalog terms.version.',
      }),
  })
  .meta({
    description: 'What the holder accepted with the order. The order keeps the version and the time of acceptance.',
  });
export type Consents = z.infer<typeof ConsentsSchema>;

/** A field only a reseller's order may carry: a storefront's is refused naming it (not silently dropped). */
const resellerOnly = (field: string, what: string) =>
  z
    .never({ error: `${what} (${field}) can be sent only with a reseller's key: leave ${field} out.` })
    .optional()
    .meta({ description: `Reseller orders only: a storefront's ${field} is refused.` });

export const CreateOrderRequestSchema = z.object({
  mailbox: MailboxOrderSchema,
  years,
  holder: HolderSchema,
  billing: BillingSchema,
  payment: PaymentRequestSchema,
  // Missing consents are reported on the field the holder must give, consents.termsVersion.
  consents: z.preprocess((value) => value ?? {}, ConsentsSchema),
  documents: resellerOnly('documents', 'Uploaded documents'),
  initialPassword: resellerOnly('initialPassword', 'An initial password'),
});
export type CreateOrderRequest = z.infer<typeof CreateOrderRequestSchema>;

export const PasswordSetupRequestSchema = z.object({
  token: token.meta({ description: 'The token of the first-access or password-reset link.' }),
  password: z.string().max(256).meta({ description: 'The new password; see the password policy.' }),
});
export type PasswordSetupRequest = z.infer<typeof PasswordSetupRequestSchema>;

/** `GET /password-setup`: any token is taken (the page explains a missing or malformed one). */
export const PasswordSetupPageQuerySchema = z.object({
  token: z
    .string()
    .optional()
    .meta({ description: 'The token of the emailed link: 43 base64url characters (256 bits).' }),
});

export const PasswordResetRequestSchema = z.object({
  address: MailboxAddressSchema.meta({ description: 'The PEC address whose password is to be reset.' }),
});
export type PasswordResetRequest = z.infer<typeof PasswordResetRequestSchema>;

export const AutoRenewRequestSchema = z.object({ enabled: z.boolean() });
export type AutoRenewRequest = z.infer<typeof AutoRenewRequestSchema>;

const extraGigabytes = (space: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(MAX_EXTRA_GB)
    .default(0)
    .meta({ description: `Extra GB of ${space} space, 0 to ${MAX_EXTRA_GB} (default 0).` });

export const ExtraGbSchema = z
  .object({ mailbox: extraGigabytes('mailbox'), archive: extraGigabytes('archive (Pro and Premium only)') })
  .meta({
    description:
      'Extra GB on top of the plan for the new period, each priced per GB and per year (GET /catalog extraGb). ' +
      "Absent: the mailbox's current extra GB are kept (extra archive GB are dropped with the archive on Standard).",
  });

/** What a renewal asks for; `RenewalRequestSchema` adds the rule across its fields. */
const renewalFields = z.object({
  years,
  payment: PaymentRequestSchema,
  type: mailboxType.optional().meta({
    description:
      'The plan from the renewal on (an upgrade or a downgrade); default: the current one. A downgrade is ' +
      '409 when the space in use does not fit the new plan, or when it would drop an archive that holds anything.',
  }),
  extraGb: ExtraGbSchema.optional(),
  billing: BillingSchema.optional().meta({
    description: "Where this renewal's electronic invoice goes; default: the mailbox's (its first order's).",
  }),
});

/** Extra archive GB on Standard: a rule across two fields, run whenever both are usable, even if another field failed. */
const archiveOnlyWithArchive = <
  S extends z.ZodType<{ type?: string | undefined; extraGb?: { archive: number } | undefined }>,
>(
  schema: S,
): S =>
  schema.superRefine(
    ({ type, extraGb }, ctx) => {
      if (type === 'standard' && (extraGb?.archive ?? 0) > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['extraGb', 'archive'],
          message: 'The standard plan has no archive: extra archive GB are sold only with Pro and Premium.',
        });
      }
    },
    { when: ({ value }) => isRecord(value) && isRecord(value.extraGb) && typeof value.extraGb.archive === 'number' },
  );

export const RenewalRequestSchema = archiveOnlyWithArchive(renewalFields);
export type RenewalRequest = z.infer<typeof RenewalRequestSchema>;

export const PaymentWebhookEventSchema = z.object({
  id: z.string().startsWith('evt_').max(200),
  type: z.enum(PAYMENT_EVENT_TYPES),
  orderId: z.string().min(1).max(200),
  amountCents: z.number().int().nonnegative(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'An ISO 4217 currency code, e.g. EUR.')
    .meta({
      description: 'ISO 4217. Orders are in EUR: a credit in another currency is recorded as an anomaly to refund.',
      examples: ['EUR'],
    }),
  occurredAt: z.iso.datetime({ offset: true }),
});
export type PaymentWebhookEvent = z.infer<typeof PaymentWebhookEventSchema>;

// --- responses ---------------------------------------------------------------------------------

const timestamp = z.iso.datetime().meta({ description: 'ISO 8601 UTC time.' });
const cents = z.number().int().nonnegative();

export const TotalsSchema = z
  .object({ netCents: cents, vatCents: cents, grossCents: cents })
  .meta({ description: `Euro cents; VAT is ${VAT_RATE_PERCENT}% of net, rounded half-up; gross = net + VAT.` });
export type Totals = z.infer<typeof TotalsSchema>;

/** The payment statuses storefronts see: the payment's own, and `requires_action` while the holder must act. */
export const PUBLIC_PAYMENT_STATUSES = [...PAYMENT_STATUSES, 'requires_action'] as const;

/**
 * What the holder must do for a card or PayPal payment to go through (3-D Secure, PayPal's approval):
 * the storefront hands `clientSecret` to Stripe.js (`stripe.handleNextAction`), and the provider's
 * webhook then completes or fails the order.
 */
export const NextActionSchema = z
  .object({
    type: z.literal('use_stripe_sdk'),
    clientSecret: z.string().meta({ description: "The PaymentIntent's client secret, for Stripe.js." }),
  })
  .meta({ description: 'Present while `payment.status` is `requires_action`.' });
export type NextAction = z.infer<typeof NextActionSchema>;

const UploadFormSchema = z
  .object({
    url: z.string().meta({ description: 'Where to POST the multipart/form-data form.' }),
    fields: z
      .record(z.string(), z.string())
      .meta({ description: 'The form fields to send, as they are, before `file`.' }),
    maxBytes: z.number().int(),
    expiresAt: timestamp,
  })
  .meta({
    description:
      'An S3 presigned POST: the fields first, then the file as `file`; the content type and size are enforced by S3.',
  });

/** One document of a reseller's order: whether it has arrived, and (when the order is placed) its upload form. */
const OrderDocumentStatusSchema = z.object({
  contentType: z.string().meta({ description: 'The content type its upload form allows.' }),
  received: z
    .boolean()
    .meta({ description: 'Whether the document has been uploaded (checked when the order is read).' }),
  upload: UploadFormSchema.optional().meta({
    description: 'In the answer of POST /orders (and of its replay): the form to upload the document with.',
  }),
});

/** An order as storefronts see it (no holder data, no payment token): `toPublicOrder`. */
export const PublicOrderSchema = z.object({
  orderId: z.string(),
  kind: z.enum(ORDER_KINDS),
  status: z.enum(ORDER_STATUSES),
  mailbox: z.object({ address: z.string(), type: mailboxType, domainPec: z.boolean() }),
  years: z.number().int(),
  totals: TotalsSchema,
  extraGb: z
    .object({ mailbox: z.number().int(), archive: z.number().int() })
    .optional()
    .meta({ description: 'A renewal that buys extra GB: how many, for each year of the new period (in the totals).' }),
  payment: z.object({
    method: z.enum(PAYMENT_METHODS),
    status: z.enum(PUBLIC_PAYMENT_STATUSES).meta({
      description:
        'requires_action: the holder must authenticate the card (3-D Secure) or approve the PayPal payment, with `nextAction`. ' +
        'refund_required: the order was paid but ended unfulfilled; the refund is recorded (a transfer or postal slip is refunded by an operator). ' +
        'refunded: the provider gave the money back (card, PayPal).',
    }),
    nextAction: NextActionSchema.optional(),
    reference: z.string().meta({
      description: 'ISO 11649 creditor reference (RF + 2 check digits + reference) to quote on a transfer or slip.',
      examples: ['RF18539007547034'],
    }),
  }),
  createdAt: timestamp,
  paidAt: timestamp.nullable(),
  completedAt: timestamp.nullable(),
  documents: z
    .object({ signedContract: OrderDocumentStatusSchema, identityDocument: OrderDocumentStatusSchema })
    .optional()
    .meta({
      description:
        "A reseller's order: the signed contract and the holder's identity document it uploads. Activation does not wait for them.",
    }),
});
export type PublicOrder = z.infer<typeof PublicOrderSchema>;

/** A mailbox as storefronts see it (a reservation is not one): `toPublicMailbox`. */
export const PublicMailboxSchema = z.object({
  address: z.string(),
  type: mailboxType,
  status: z.enum(PUBLIC_MAILBOX_STATUSES),
  domainPec: z.boolean(),
  activatedAt: timestamp.nullable().meta({ description: 'Null while the mailbox is activating.' }),
  expiresAt: timestamp.nullable().meta({ description: 'Null while the mailbox is activating.' }),
  autoRenew: z.boolean(),
  passwordSet: z.boolean(),
  contact: z
    .object({
      undeliverable: z.literal(true),
      since: timestamp.meta({ description: 'When the first hard bounce was reported.' }),
      reason: z.string().meta({ description: "The receiving server's diagnostic, or the kind of bounce." }),
    })
    .optional()
    .meta({
      description:
        "Present when email to the holder's reference address hard-bounced: the holder gets no more emails " +
        '(first-access links, reminders) until the storefront has the address corrected.',
    }),
});
export type PublicMailbox = z.infer<typeof PublicMailboxSchema>;

export const CatalogResponseSchema = z.object({
  domains: z.array(z.string()).meta({ description: 'Generic certified domains.' }),
  plans: z.array(
    z.object({
      type: mailboxType,
      mailboxGb: z.number().int(),
      archiveGb: z.number().int(),
      yearlyNetCents: cents,
    }),
  ),
  years: z.array(z.number().int()).meta({ description: 'Years an order or a renewal may cover.' }),
  extraGb: z.object({ mailboxYearlyNetCentsPerGb: cents, archiveYearlyNetCentsPerGb: cents }),
  domainPec: z
    .object({
      mxHosts: z.array(z.string()).meta({
        description:
          "The provider's mail exchangers: every MX record of the holder's own domain must name one of them.",
        examples: [['mx1.pec.example.com', 'mx2.pec.example.com']],
      }),
    })
    .meta({ description: "PEC on the holder's own domain (mailbox.domainPec)." }),
  terms: z
    .object({ version: z.string(), url: z.string() })
    .meta({ description: 'The general contract conditions in force: a new order must accept this version.' }),
});
export type CatalogResponse = z.infer<typeof CatalogResponseSchema>;

export const AvailabilityResponseSchema = z.object({
  address: z.string(),
  available: z.boolean(),
  reason: z.string().optional().meta({ description: 'Why the address is not available.' }),
});
export type AvailabilityResponse = z.infer<typeof AvailabilityResponseSchema>;

// --- lists (GET /orders, GET /mailboxes) -------------------------------------------------------

export const listLimit = z.coerce
  .number({ error: 'limit is a whole number from 1 to 100.' })
  .int()
  .min(1)
  .max(100)
  .default(20)
  .meta({ description: 'Items per page, 1 to 100 (default 20).' });

export const listCursor = z.string().min(1).max(1024).optional().meta({
  description:
    "The previous page's nextCursor, as it was given: opaque, valid only for this storefront and the same filters (otherwise 400 naming cursor).",
});

export const ListOrdersQuerySchema = z.object({
  status: z
    .enum(ORDER_STATUSES, { error: `status is one of ${ORDER_STATUSES.join(', ')}.` })
    .optional()
    .meta({ description: 'Only the orders in this status.' }),
  limit: listLimit,
  cursor: listCursor,
});
export type ListOrdersQuery = z.infer<typeof ListOrdersQuerySchema>;

export const ListMailboxesQuerySchema = z.object({
  status: z
    .enum(PUBLIC_MAILBOX_STATUSES, { error: `status is one of ${PUBLIC_MAILBOX_STATUSES.join(', ')}.` })
    .optional()
    .meta({ description: 'Only the mailboxes in this status.' }),
  expiresBefore: z.iso
    .datetime({ offset: true, error: 'expiresBefore is an ISO 8601 time, e.g. 2026-07-01T00:00:00Z.' })
    .transform((time) => new Date(time).toISOString())
    .optional()
    .meta({
      description:
        'Only the mailboxes whose expiresAt is before this time (so none still activating), listed latest expiry first. ' +
        'An ISO 8601 time with its offset, e.g. 2026-07-01T00:00:00Z.',
    }),
  limit: listLimit,
  cursor: listCursor,
});
export type ListMailboxesQuery = z.infer<typeof ListMailboxesQuerySchema>;

export const nextCursor = z.string().nullable().meta({
  description: 'Give it as cursor (same filters) for the next page; null on the last page.',
});

export const OrderListSchema = z
  .object({ items: z.array(PublicOrderSchema), nextCursor })
  .meta({ description: "A page of this storefront's orders, newest first (by createdAt)." });
export type OrderList = z.infer<typeof OrderListSchema>;

export const MailboxListSchema = z.object({ items: z.array(PublicMailboxSchema), nextCursor }).meta({
  description:
    "A page of this storefront's mailboxes, newest first: by when the order that created each was placed " +
    '(a mailbox keeps its place as it is activated, renewed, suspended or deleted; an address still waiting for ' +
    'its payment is not a mailbox yet and is not listed). With expiresBefore: latest expiry first.',
});
export type MailboxList = z.infer<typeof MailboxListSchema>;

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: z.string().meta({ description: 'Stable machine-readable code, e.g. address_unavailable.' }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Present for validation failures: one entry per failing field, by dotted path.' }),
  })
  .meta({ description: 'RFC 9457 problem document.' });
export type Problem = z.infer<typeof ProblemSchema>;

// --- errors ------------------------------------------------------------------------------------

/** Path reported for an issue about the body as a whole rather than one of its fields. */
export const ROOT_PATH = '(body)';

/** A validation issue, as zod and any Standard Schema library report it. */
export interface SchemaIssue {
  message: string;
  path?: readonly (PropertyKey | { key: PropertyKey })[];
}

/**
 * The field errors of a failed parse, one per issue, each under its dotted path
 * (`holder.residence.postalCode`, `items.0.name`); an issue about the whole input is under `(body)`.
 * `skipSegments` drops the leading segments that name the envelope rather than a field (the
 * `body` of an API Gateway event).
 */
export function fieldErrors(issues: readonly SchemaIssue[], skipSegments = 0): FieldError[] {
  return issues.map((issue) => {
    const path = (issue.path ?? [])
      .slice(skipSegments)
      .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
      .join('.');
    return { path: path === '' ? ROOT_PATH : path, message: issue.message };
  });
}

/**
 * Parses `input` with `schema`.
 *
 * @throws {ValidationError} naming every failing field, for the HTTP layer to turn into a 400.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldErrors(result.error.issues));
  return result.data;
}

// --- resellers (prepaid credit) ----------------------------------------------------------------

/** A reseller's orders are paid from its credit: a `payment` sent is refused, naming it. */
const noPayment = z
  .never({ error: "A reseller's orders are paid from its prepaid credit: leave payment out." })
  .optional()
  .meta({ description: 'Not sent by a reseller: its orders are debited from its prepaid credit.' });

/** `POST /mailboxes/{address}/renewals` with a reseller's key: without `payment`. */
export const ResellerRenewalRequestSchema = archiveOnlyWithArchive(renewalFields.extend({ payment: noPayment }));
export type ResellerRenewalRequest = z.infer<typeof ResellerRenewalRequestSchema>;

export const CreditMovementSchema = z
  .object({
    movementId: z.string().meta({ description: '`<kind>#<reference>`: one per kind and order (or top-up).' }),
    kind: z.enum(['deposit', 'top_up', 'debit', 'credit_back']).meta({
      description:
        'deposit and top_up add to the balance, debit (an order or renewal) takes from it, credit_back gives a failed or cancelled order its debit back.',
    }),
    amountCents: cents.meta({ description: 'Euro cents, net of VAT, always positive: kind says which way.' }),
    at: timestamp,
    orderId: z.string().optional(),
    topUpId: z.string().optional(),
  })
  .meta({ description: 'One movement of the credit ledger.' });

export const ResellerCreditQuerySchema = z.object({ limit: listLimit, cursor: listCursor });
export type ResellerCreditQuery = z.infer<typeof ResellerCreditQuerySchema>;

export const ResellerCreditSchema = z
  .object({
    balanceCents: cents.meta({ description: 'The credit now, euro cents net of VAT.' }),
    lowBalanceThresholdCents: cents,
    movements: z.array(CreditMovementSchema).meta({ description: 'A page of movements, newest first.' }),
    nextCursor,
  })
  .meta({ description: "The reseller's prepaid credit and its ledger, a page at a time." });
export type ResellerCredit = z.infer<typeof ResellerCreditSchema>;

export const ResellerSettingsRequestSchema = z.object({
  lowBalanceThresholdCents: z
    .number()
    .int()
    .min(0)
    .max(100_000_000)
    .meta({ description: 'A debit that takes the balance below this emails the reseller once (0: never).' }),
});
export type ResellerSettingsRequest = z.infer<typeof ResellerSettingsRequestSchema>;

export const ResellerSettingsSchema = z.object({ balanceCents: cents, lowBalanceThresholdCents: cents });

export const TopUpRequestSchema = z.object({
  amountCents: z.number().int().min(1000).max(10_000_000).meta({
    description: 'The credit to add, euro cents net of VAT (10 to 100,000 euro): the transfer is this plus VAT.',
  }),
  payment: PaymentRequestSchema.meta({
    description:
      'card or paypal (with paymentMethod or token, collected with Stripe.js): charged at once, and the credit is added ' +
      'when the charge succeeds; bank_transfer or postal_slip: the credit is added when the transfer is registered.',
  }),
});
export type TopUpRequest = z.infer<typeof TopUpRequestSchema>;

export const TopUpSchema = z
  .object({
    topUpId: z.string(),
    amountCents: cents.meta({ description: 'The credit it adds, net of VAT.' }),
    totals: TotalsSchema.meta({ description: 'What to pay: the credit plus VAT (grossCents).' }),
    payment: z.object({
      method: z.enum([...IMMEDIATE_PAYMENT_METHODS, ...CREDIT_PAYMENT_METHODS]),
      reference: z
        .string()
        .optional()
        .meta({ description: 'bank_transfer and postal_slip: the ISO 11649 RF reference the transfer must quote.' }),
      nextAction: NextActionSchema.optional().meta({
        description:
          'card and paypal, while the charge waits for the reseller (3-D Secure, PayPal approval): hand clientSecret ' +
          "to Stripe.js; Stripe's webhook then credits the top-up.",
      }),
    }),
    status: z.enum(['pending', 'credited']).meta({
      description:
        'credited: the credit was added (a card or PayPal charge that succeeded at once); pending: waiting for the ' +
        'transfer, or for the reseller to complete payment.nextAction.',
    }),
    createdAt: timestamp,
    creditedAt: timestamp.nullable(),
  })
  .meta({
    description:
      'A top-up: by card or PayPal charged at once and credited once when the charge succeeds; by transfer credited ' +
      'once, when a transfer of exactly totals.grossCents quoting payment.reference is registered (payment webhook or ' +
      'bank statement).',
  });

/** `POST /reseller/domains`: a domain the reseller controls, to certify (trimmed, lower-cased; a trailing dot dropped). */
export const ResellerDomainRequestSchema = z.object({
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .min(3)
    .max(253)
    .transform((domain) => domain.replace(/\.$/, ''))
    .meta({ description: 'A second- or third-level domain the reseller controls (not a generic PEC domain).' }),
});
export type ResellerDomainRequest = z.infer<typeof ResellerDomainRequestSchema>;

export const ResellerDomainSchema = z
  .object({
    domain: z.string(),
    status: z.enum(['pending_dns', 'certified', 'lapsed']).meta({
      description:
        'pending_dns until every MX record of the domain points at the provider (GET /catalog domainPec.mxHosts); lapsed when not renewed by its expiry (its mailboxes are suspended).',
    }),
    priceCents: cents.meta({
      description:
        'What a year of certification costs, debited from the credit (net of VAT): 0 for a domain hosted with the provider (its NS records all the provider name servers).',
    }),
    requestedAt: timestamp,
    certifiedAt: timestamp.optional(),
    lapsedAt: timestamp.optional().meta({ description: 'When the certification lapsed, not renewed by its expiry.' }),
    expiresAt: timestamp.meta({ description: 'The end of the year paid for.' }),
  })
  .meta({ description: "A reseller's certified domain: its mailboxes can be ordered once it is certified." });

export const ResellerDomainListSchema = z.object({ domains: z.array(ResellerDomainSchema) });
// --- reseller enrolment ------------------------------------------------------------------------

/** The documents an applicant uploads, one presigned form each. */
export const ENROLMENT_DOCUMENTS = ['adhesionForm', 'identityDocument'] as const;
/** What an enrolment document may be. */
export const ENROLMENT_CONTENT_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;
const enrolmentDocument = z.object({ contentType: z.enum(ENROLMENT_CONTENT_TYPES) });

/**
 * `POST /resellers`: the applicant company, validated exactly as a company holder (VAT number and
 * fiscal code checksums, registered office, contacts) plus where its invoices go, and the content
 * type of each document it will upload.
 */
export const EnrolmentRequestSchema = z.object({
  company: CompanyHolderSchema.omit({ kind: true }),
  billing: BillingSchema,
  documents: z.object({ adhesionForm: enrolmentDocument, identityDocument: enrolmentDocument }),
});
export type EnrolmentRequest = z.infer<typeof EnrolmentRequestSchema>;

export const EnrolmentSchema = z
  .object({
    enrolmentId: z.string(),
    status: z.enum(['pending_documents', 'approving', 'approved', 'rejected']),
    companyName: z.string(),
    createdAt: timestamp,
    approvingBy: z.string().optional().meta({ description: 'Who is approving it (status approving).' }),
    approvingAt: z.string().optional().meta({ description: 'Since when (status approving).' }),
    uploads: z.record(z.string(), UploadFormSchema).optional(),
    resellerId: z.string().optional(),
    apiKey: z.string().optional().meta({ description: 'The new reseller key, given once in the approval answer.' }),
    topUp: TopUpSchema.optional().meta({
      description: 'The first deposit to pay (200 euro + VAT), credited when registered.',
    }),
    reason: z.string().optional(),
  })
  .meta({ description: 'A reseller enrolment, as the applicant and the operators see it.' });
export type PublicEnrolment = z.infer<typeof EnrolmentSchema>;

export const EnrolmentRejectionRequestSchema = z.object({ reason: trimmedText(1000) });

// --- reseller orders ---------------------------------------------------------------------------

/** The documents a reseller uploads with an order, one presigned form each. */
export const ORDER_DOCUMENTS = ['signedContract', 'identityDocument'] as const;
export type OrderDocumentName = (typeof ORDER_DOCUMENTS)[number];
const orderDocument = z.object({ contentType: z.enum(ENROLMENT_CONTENT_TYPES) });

export const OrderDocumentsRequestSchema = z
  .object({ signedContract: orderDocument, identityDocument: orderDocument })
  .meta({
    description:
      "The content type of the signed contract and of the holder's identity document the reseller will upload (PDF, JPEG or PNG).",
  });
export type OrderDocumentsRequest = z.infer<typeof OrderDocumentsRequestSchema>;

/**
 * `POST /orders` with a reseller's key: the same order without `payment` (debited from the credit),
 * with the documents it will upload and, optionally, the holder's initial password, checked by the
 * password policy of the password-setup page (the address rule included) and reported on
 * `initialPassword`.
 */
export const ResellerOrderRequestSchema = CreateOrderRequestSchema.extend({
  payment: noPayment,
  documents: OrderDocumentsRequestSchema,
  initialPassword: z.string().max(256).optional().meta({
    description:
      'The mailbox password, chosen by the reseller for the holder (the password policy applies): no first-access email is sent. Never stored or shown.',
  }),
}).superRefine(
  (request, ctx) => {
    const password = request.initialPassword;
    if (password === undefined) return;
    const address: unknown = isRecord(request.mailbox) ? request.mailbox.address : undefined;
    const context = typeof address === 'string' ? { address } : {};
    for (const message of passwordProblems(password, context)) {
      ctx.addIssue({ code: 'custom', path: ['initialPassword'], message });
    }
  },
  { when: ({ value }) => isRecord(value) && typeof value.initialPassword === 'string' },
);
export type ResellerOrderRequest = z.infer<typeof ResellerOrderRequestSchema>;
