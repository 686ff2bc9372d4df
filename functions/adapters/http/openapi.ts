import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import { API_ROUTES, type ApiRoute } from '../../../infra/api-routes.ts';
import {
  AddressUnavailableError,
  AutoRenewActiveError,
  ConflictError,
  IdempotencyKeyReusedError,
  InsufficientCreditError,
  NotFoundError,
  PaymentDeclinedError,
  type PecError,
  ResellerOnlyError,
  RetryLaterError,
  TokenGoneError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '../../domain/errors.ts';
import {
  AnomalyListSchema,
  AttentionListSchema,
  EnrolmentListSchema,
  OperatorAnomaliesQuerySchema,
  OperatorOrderSchema,
  OperatorOrdersQuerySchema,
  OperatorResellersQuerySchema,
  RedriveResultSchema,
  RefundDoneRequestSchema,
  ResendResultSchema,
} from '../../domain/operator-schemas.ts';
import { BYTES_PER_GB, choiceRefusal, NO_EXTRA_GB, usageRefusal } from '../../domain/renewal-plan.ts';
import {
  AutoRenewRequestSchema,
  AvailabilityQuerySchema,
  AvailabilityResponseSchema,
  CatalogResponseSchema,
  CreateOrderRequestSchema,
  EnrolmentRejectionRequestSchema,
  EnrolmentRequestSchema,
  EnrolmentSchema,
  ListMailboxesQuerySchema,
  ListOrdersQuerySchema,
  MailboxListSchema,
  OrderListSchema,
  PasswordResetRequestSchema,
  PasswordSetupPageQuerySchema,
  PasswordSetupRequestSchema,
  PaymentWebhookEventSchema,
  ProblemSchema,
  PublicMailboxSchema,
  PublicOrderSchema,
  RenewalRequestSchema,
  ResellerCreditQuerySchema,
  ResellerCreditSchema,
  ResellerDomainListSchema,
  ResellerDomainRequestSchema,
  ResellerDomainSchema,
  ResellerSettingsRequestSchema,
  ResellerSettingsSchema,
  TopUpRequestSchema,
  TopUpSchema,
} from '../../domain/schemas.ts';
import { StripeEventSchema } from '../stripe-event-schema.ts';
import { type ProblemDocument, problemFor } from './problem.ts';

/**
 * Version of the HTTP contract the document describes; bump it with any change to a schema or a route.
 * 2.0.0: new orders must name the accepted contract conditions (`consents.termsVersion`); storefront
 * lists, cancellation, holder links and page, dns-check, Stripe PaymentMethods and webhook added.
 * 2.1.0: renewals may change the plan, buy extra GB and name their billing (`type`, `extraGb`, `billing`);
 * a renewal order shows its `extraGb`; a 409 may name the fields it is about (`errors`).
 */
export const API_VERSION = '2.1.0';

type JsonObject = Record<string, unknown>;

/**
 * A schema as JSON Schema draft 2020-12, the dialect of OpenAPI 3.1. Requests are described as
 * clients write them (`input`: defaults make fields optional), responses as the server sends them.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  // `$schema` is implied by the OpenAPI version and not allowed on every tool inside components.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io });
  return rest;
}

/** A schema documented once, under its name in `components`, and referenced wherever it is used. */
interface Named {
  name: string;
  schema: z.ZodType;
}

/**
 * What a route's operation needs beyond its entry in `infra/api-routes.ts` (method, path, summary,
 * whether it needs the storefront key).
 */
interface OperationDoc {
  operationId: string;
  /** Routes without the storefront key say who calls them; key routes are `storefront`. */
  tag?: 'holder' | 'payments' | 'operator';
  /** Query parameters, from the schema that validates them. */
  query?: z.ZodObject;
  /** Path and header parameters. */
  parameters?: JsonObject[];
  /** The JSON body, documented as clients write it (under `components.requestBodies`). */
  request?: Named;
  success: { status: number | '2XX'; description: string; body?: Named | 'any-json' | 'html' };
  /**
   * The problems the route answers, each as `problem.ts` renders it, besides the 401 of key routes
   * and the 500 of any route.
   */
  errors?: PecError[];
}

const ORDER: Named = { name: 'Order', schema: PublicOrderSchema };
const MAILBOX: Named = { name: 'Mailbox', schema: PublicMailboxSchema };
const EXAMPLE_ADDRESS = 'mario.rossi@pec.it';

const idempotencyKeyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'The same key with the same body returns the same order and creates nothing; with another body it is 422.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

const addressParameter = {
  name: 'address',
  in: 'path',
  required: true,
  description:
    'The PEC address, percent-encoded (the @ as %40 where a client requires it) and decoded once; a malformed escape is a 400 naming `address`.',
  schema: { type: 'string' },
  example: EXAMPLE_ADDRESS,
};

/** The 400 of any route that validates its input: `errors` names every failing field by its dotted path. */
const validationFailed = new ValidationError([
  { path: 'holder.fiscalCode', message: 'A personal fiscal code has 16 characters.' },
]);
const mailboxNotFound = new NotFoundError(`Mailbox ${EXAMPLE_ADDRESS}`, 'mailbox_not_found');
const idempotencyKeyReused = new IdempotencyKeyReusedError();
/** The 400 of a list: a bad status, limit, expiresBefore, or a cursor not given for this list. */
const listRefused = new ValidationError([
  {
    path: 'cursor',
    message: 'This cursor was given to another storefront: list from the first page, without it.',
  },
]);

/** A reseller's order or renewal its credit does not cover: nothing reserved, nothing debited. */
const insufficientCredit = new InsufficientCreditError(1220, 800);
const resellerOnly = new ResellerOnlyError();

/** Every route of `API_ROUTES` that a deployment serves, by `<METHOD> <path>`. */
const OPERATIONS: Record<string, OperationDoc> = {
  'GET /catalog': {
    operationId: 'getCatalog',
    success: { status: 200, description: 'The catalog.', body: { name: 'Catalog', schema: CatalogResponseSchema } },
  },
  'GET /availability': {
    operationId: 'checkAvailability',
    query: AvailabilityQuerySchema,
    success: {
      status: 200,
      description: 'Availability of the address.',
      body: { name: 'AvailabilityResponse', schema: AvailabilityResponseSchema },
    },
    errors: [validationFailed],
  },
  'POST /orders': {
    operationId: 'createOrder',
    parameters: [idempotencyKeyParameter],
    // A reseller's key sends the same body without payment (debited from its credit): see ResellerOrderRequestSchema.
    request: { name: 'CreateOrderRequest', schema: CreateOrderRequestSchema },
    success: {
      status: 201,
      description:
        "The order. With a reseller's key the body has no payment (one sent is 400 naming payment): the order is " +
        "debited from the reseller's credit at its price list as it is placed (payment.method credit, paid), or " +
        'refused with 402 insufficient_credit, nothing reserved. A reseller also sends `documents` ' +
        '`{ signedContract: { contentType }, identityDocument: { contentType } }` (application/pdf, image/jpeg or ' +
        'image/png; required) and may send `initialPassword` (the password policy of the password-setup page, the ' +
        'address rule included; 400 naming initialPassword): the answer carries one S3 presigned POST form per ' +
        'document (`documents.*.upload`, at most 10 MB, valid one hour; a replay gives new ones), activation does ' +
        'not wait for them, and with an initial password the mailbox is created with it and no first-access email ' +
        'is sent (`passwordSet` true). A storefront sending documents or initialPassword is refused naming them.',
      body: ORDER,
    },
    errors: [validationFailed, insufficientCredit, new AddressUnavailableError(EXAMPLE_ADDRESS), idempotencyKeyReused],
  },
  'GET /orders/{orderId}': {
    operationId: 'getOrder',
    parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
    success: {
      status: 200,
      description:
        "The order; a reseller's order shows whether each of its documents has been uploaded (`documents.*.received`).",
      body: ORDER,
    },
    errors: [validationFailed, new NotFoundError('Order 7GQ2M3XK9P1A', 'order_not_found')],
  },
  'POST /orders/{orderId}/cancel': {
    operationId: 'cancelOrder',
    parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
    success: {
      status: 200,
      description:
        'The order, cancelled: its wait ends, the address is freed and the holder told. Only an order waiting for a ' +
        'bank transfer or postal slip can be cancelled (a card or PayPal order is charged at once). Cancelling a ' +
        'cancelled order answers it again. A credit that arrives later is recorded as an anomaly to refund.',
      body: ORDER,
    },
    errors: [
      validationFailed,
      new NotFoundError('Order 7GQ2M3XK9P1A', 'order_not_found'),
      new ConflictError(
        'order_not_cancellable',
        'Order 7GQ2M3XK9P1A cannot be cancelled: it is paid and its mailbox is being activated. Only an order still waiting for a bank transfer or postal slip can.',
      ),
    ],
  },
  'GET /mailboxes/{address}': {
    operationId: 'getMailbox',
    parameters: [addressParameter],
    success: { status: 200, description: 'The mailbox.', body: MAILBOX },
    errors: [validationFailed, mailboxNotFound],
  },
  'GET /orders': {
    operationId: 'listOrders',
    query: ListOrdersQuerySchema,
    success: {
      status: 200,
      description:
        "A page of this storefront's orders, newest first (by createdAt); nextCursor leads to the next page. " +
        "Another storefront's orders are never listed.",
      body: { name: 'OrderList', schema: OrderListSchema },
    },
    errors: [listRefused],
  },
  'GET /mailboxes': {
    operationId: 'listMailboxes',
    query: ListMailboxesQuerySchema,
    success: {
      status: 200,
      description:
        "A page of this storefront's mailboxes, newest first: by when the order that created each was placed " +
        '(a mailbox keeps its place through activation, renewals, suspension and deletion). An address whose order ' +
        'still waits for its payment is not a mailbox and is not listed. With expiresBefore, latest expiry first. ' +
        "Another storefront's mailboxes are never listed.",
      body: { name: 'MailboxList', schema: MailboxListSchema },
    },
    errors: [listRefused],
  },
  'POST /mailboxes/{address}/renewals': {
    operationId: 'renewMailbox',
    parameters: [addressParameter, idempotencyKeyParameter],
    // A reseller's key sends the same body without payment (debited from its credit).
    request: { name: 'RenewalRequest', schema: RenewalRequestSchema },
    success: {
      status: 201,
      description:
        "The renewal order. With a reseller's key the body has no payment: the renewal is debited from the reseller's credit.",
      body: ORDER,
    },
    errors: [
      validationFailed,
      insufficientCredit,
      mailboxNotFound,
      new AutoRenewActiveError(EXAMPLE_ADDRESS),
      new ConflictError('mailbox_not_renewable', `The mailbox ${EXAMPLE_ADDRESS} is still being activated.`),
      // A plan change or extra GB the mailbox cannot have (see functions/domain/renewal-plan.ts).
      ...[
        usageRefusal(
          { type: 'pro', extraGb: NO_EXTRA_GB },
          { type: 'standard', extraGb: NO_EXTRA_GB },
          { mailboxBytes: 0, archiveBytes: BYTES_PER_GB },
        ),
        choiceRefusal({ domainPec: false }, { type: 'standard', extraGb: { mailbox: 0, archive: 1 } }),
      ].flatMap((refusal) =>
        refusal
          ? [new ConflictError(refusal.code, refusal.message, [{ path: refusal.path, message: refusal.message }])]
          : [],
      ),
      idempotencyKeyReused,
    ],
  },
  'PUT /mailboxes/{address}/auto-renew': {
    operationId: 'setAutoRenew',
    parameters: [addressParameter],
    request: { name: 'AutoRenewRequest', schema: AutoRenewRequestSchema },
    success: {
      status: 200,
      description:
        "The mailbox. A reseller's mailbox renews automatically from the reseller's credit (off until switched on here).",
      body: MAILBOX,
    },
    errors: [
      validationFailed,
      mailboxNotFound,
      new ConflictError(
        'payment_method_required',
        'Automatic renewal needs a card or PayPal payment to charge: renew once by card or PayPal first.',
      ),
    ],
  },
  'POST /mailboxes/{address}/first-access-link': {
    operationId: 'sendFirstAccessLink',
    parameters: [addressParameter],
    success: {
      status: 202,
      description:
        "A new first-access link is on its way to the holder's email; every earlier link of the mailbox stops working (410).",
    },
    errors: [
      validationFailed,
      mailboxNotFound,
      new ConflictError(
        'password_already_set',
        `The password of ${EXAMPLE_ADDRESS} is set already: the holder can ask for a reset link (POST /password-reset).`,
      ),
      new ConflictError(
        'mailbox_not_active',
        `The mailbox ${EXAMPLE_ADDRESS} is still being activated: its first-access link is emailed once it is active.`,
      ),
      new TooManyRequestsError('At most 5 first-access links per mailbox in 24 hours: retry in 68400 seconds.', 68400),
    ],
  },
  'GET /password-setup': {
    operationId: 'getPasswordSetupPage',
    tag: 'holder',
    query: PasswordSetupPageQuerySchema,
    success: {
      status: 200,
      description:
        'The page the emailed links open, in Italian: the password rules, checked as the holder types, a form that ' +
        'posts to POST /password-setup, and every answer explained. A missing or malformed token still gets the ' +
        'page (200), saying the link is not valid and what to do.',
      body: 'html',
    },
  },
  'POST /mailboxes/{address}/dns-check': {
    operationId: 'requestDnsCheck',
    parameters: [addressParameter],
    success: {
      status: 202,
      description:
        'The MX records of the mailbox domain are being checked now; the mailbox becomes active as soon as they ' +
        'point at the provider (see `domainPec.mxHosts` in GET /catalog). Repeating the request is harmless.',
    },
    errors: [
      validationFailed,
      mailboxNotFound,
      new ConflictError(
        'not_waiting_for_dns',
        `The mailbox ${EXAMPLE_ADDRESS} is not waiting for the MX records of its domain (it is active).`,
      ),
    ],
  },
  'POST /password-setup': {
    operationId: 'setUpPassword',
    tag: 'holder',
    request: { name: 'PasswordSetupRequest', schema: PasswordSetupRequestSchema },
    success: { status: 204, description: 'The password is set.' },
    errors: [
      new ValidationError(
        [{ path: 'password', message: 'Digit: the password must contain a digit.' }],
        'The password does not meet the password policy.',
      ),
      new NotFoundError('This link', 'token_not_found'),
      new TokenGoneError('used'),
    ],
  },
  'POST /password-reset': {
    operationId: 'requestPasswordReset',
    tag: 'holder',
    request: { name: 'PasswordResetRequest', schema: PasswordResetRequestSchema },
    success: {
      status: 202,
      description:
        'Always, whether or not a mailbox has the address: when one has it and its password is set, a reset link ' +
        "(single use, valid one hour; the earlier reset link stops working) goes to the holder's reference email.",
    },
    errors: [
      new ValidationError([{ path: 'address', message: 'An address must have the form name@domain, with one @.' }]),
      new TooManyRequestsError(
        'At most 5 password resets per address in 24 hours: retry in 68400 seconds. Counted for every address, ' +
          'whether or not a mailbox has it.',
        68400,
      ),
    ],
  },
  'POST /webhooks/payments': {
    operationId: 'receivePaymentEvent',
    tag: 'payments',
    parameters: [
      {
        name: 'payment-signature',
        in: 'header',
        required: true,
        description:
          't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>; a timestamp more than 300 s ' +
          'from now or a wrong signature is 401 and changes nothing.',
        schema: { type: 'string' },
        example: 't=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
      },
    ],
    request: { name: 'PaymentWebhookEvent', schema: PaymentWebhookEventSchema },
    success: {
      status: '2XX',
      description:
        'The event is recorded; also for an event id seen before (nothing happens twice) and for an unknown order. ' +
        'A credit that pays no order (wrong amount, not in EUR, a second credit, a closed or unknown order) is ' +
        'recorded as an anomaly to refund: `refundRequired: true`.',
    },
    errors: [
      validationFailed,
      new UnauthorizedError('The payment signature is not valid: wrong signature.', 'invalid_signature'),
      new RetryLaterError('The order is not waiting for its payment yet: deliver the event again later.'),
    ],
  },
  'POST /webhooks/stripe': {
    operationId: 'receiveStripeEvent',
    tag: 'payments',
    parameters: [
      {
        name: 'Stripe-Signature',
        in: 'header',
        required: true,
        description:
          'Stripe\'s signature, t=<unix seconds>,v1=<hex HMAC-SHA256(endpoint secret, "<t>.<raw body>")>, verified ' +
          "with Stripe's library; a stale or wrong one is 400 and changes nothing.",
        schema: { type: 'string' },
      },
    ],
    request: { name: 'StripeEvent', schema: StripeEventSchema },
    success: {
      status: 200,
      description:
        'The Stripe event (payment_intent.succeeded, payment_intent.payment_failed, charge.refunded; others are ' +
        'acknowledged and ignored) is recorded; an event id seen before is answered `duplicate: true` and changes nothing.',
      body: 'any-json',
    },
    errors: [
      new ValidationError(
        [
          {
            path: 'Stripe-Signature',
            message:
              'The Stripe signature is not valid: No signatures found matching the expected signature for payload.',
          },
        ],
        'The Stripe signature is not valid.',
      ),
    ],
  },
  'GET /reseller/credit': {
    operationId: 'getResellerCredit',
    query: ResellerCreditQuerySchema,
    success: {
      status: 200,
      description:
        "The reseller's prepaid credit (euro cents net of VAT) and a page of its movements, newest first; nextCursor " +
        "leads to the next page. A storefront's key is 403 reseller_only.",
      body: { name: 'ResellerCredit', schema: ResellerCreditSchema },
    },
    errors: [listRefused, resellerOnly],
  },
  'POST /reseller/credit/top-ups': {
    operationId: 'requestTopUp',
    parameters: [
      {
        ...idempotencyKeyParameter,
        description:
          'The same key with the same body returns the same top-up and creates nothing; with another body it is 422.',
      },
    ],
    request: { name: 'TopUpRequest', schema: TopUpRequestSchema },
    success: {
      status: 201,
      description:
        'By card or PayPal: charged at once (totals.grossCents), credited when the charge succeeds (status credited); ' +
        'pending with payment.nextAction while it waits for the reseller (3-D Secure, PayPal approval), then credited ' +
        "once by Stripe's webhook. By transfer: pending; transfer totals.grossCents quoting payment.reference. It is " +
        'credited once, when the payment webhook (credit.registered with orderId = topUpId) or a bank statement ' +
        'registers the transfer.',
      body: { name: 'TopUp', schema: TopUpSchema },
    },
    errors: [
      validationFailed,
      new PaymentDeclinedError('The payment was declined (generic_decline): nothing was credited.', [
        { path: 'payment', message: 'Declined by the payment provider: generic_decline.' },
      ]),
      resellerOnly,
      idempotencyKeyReused,
      new RetryLaterError(
        'The payment provider cannot be reached: send the same request again (same Idempotency-Key) to finish the top-up.',
      ),
    ],
  },
  'PUT /reseller/settings': {
    operationId: 'updateResellerSettings',
    request: { name: 'ResellerSettingsRequest', schema: ResellerSettingsRequestSchema },
    success: {
      status: 200,
      description:
        'The settings, with the balance. A debit that takes the balance below lowBalanceThresholdCents emails the ' +
        'reseller once, until the balance is back at or above it.',
      body: { name: 'ResellerSettings', schema: ResellerSettingsSchema },
    },
    errors: [validationFailed, resellerOnly],
  },
  'POST /reseller/domains': {
    operationId: 'requestResellerDomain',
    request: { name: 'ResellerDomainRequest', schema: ResellerDomainRequestSchema },
    success: {
      status: 201,
      description:
        'The domain, pending_dns (or certified at once when its MX records already point at the provider), its ' +
        "first year debited from the reseller's credit. The same reseller asking again gets it as it is (200), " +
        'debited once. A generic PEC domain, a public mail provider or a domain that does not exist is 400 naming domain.',
      body: { name: 'ResellerDomain', schema: ResellerDomainSchema },
    },
    errors: [
      new ValidationError([
        { path: 'domain', message: 'The domain "gmail.com" belongs to the public mailbox provider gmail.com.' },
      ]),
      resellerOnly,
      insufficientCredit,
      new ConflictError(
        'domain_taken',
        'The domain example.it is certified (or being certified) by another reseller.',
        [{ path: 'domain', message: 'The domain example.it is held by another reseller.' }],
      ),
    ],
  },
  'GET /reseller/domains': {
    operationId: 'listResellerDomains',
    success: {
      status: 200,
      description: "The reseller's domains, newest first, each pending_dns or certified.",
      body: { name: 'ResellerDomainList', schema: ResellerDomainListSchema },
    },
    errors: [resellerOnly],
  },
  'POST /reseller/domains/{domain}/dns-check': {
    operationId: 'checkResellerDomain',
    parameters: [{ name: 'domain', in: 'path', required: true, schema: { type: 'string' }, example: 'example.it' }],
    success: {
      status: 200,
      description:
        'The MX records were checked now: the domain as it is, certified once they all point at the provider.',
      body: { name: 'ResellerDomain', schema: ResellerDomainSchema },
    },
    errors: [resellerOnly, new NotFoundError('Domain example.it', 'domain_not_found')],
  },
  'GET /openapi.json': {
    operationId: 'getOpenApiDocument',
    success: { status: 200, description: 'The OpenAPI 3.1 document.', body: 'any-json' },
  },
  'GET /operator/orders': {
    operationId: 'listOrdersNeedingAttention',
    query: OperatorOrdersQuerySchema,
    success: {
      status: 200,
      description:
        'The orders that need a person now, longest waiting first (one query of the attention index): stuck past ' +
        'their promise (payment deadline, 10 minutes to activate, 48 hours on the holder domain), a refund to make, ' +
        'a closing or completion the workflow began and did not finish.',
      body: { name: 'AttentionList', schema: AttentionListSchema },
    },
    errors: [listRefused],
  },
  'GET /operator/anomalies': {
    operationId: 'listAnomalies',
    query: OperatorAnomaliesQuerySchema,
    success: {
      status: 200,
      description: 'The payment anomalies recorded that day (UTC), in the order they were recorded.',
      body: { name: 'AnomalyList', schema: AnomalyListSchema },
    },
    errors: [new ValidationError([{ path: 'day', message: 'day is a date, YYYY-MM-DD.' }])],
  },
  'POST /operator/orders/{orderId}/refund-done': {
    operationId: 'markRefundDone',
    parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
    request: { name: 'RefundDoneRequest', schema: RefundDoneRequestSchema },
    success: {
      status: 200,
      description:
        'The order, its payment refunded with the reference and who recorded it; the same reference again answers it again.',
      body: { name: 'OperatorOrder', schema: OperatorOrderSchema },
    },
    errors: [
      validationFailed,
      new NotFoundError('Order 7GQ2M3XK9P1A', 'order_not_found'),
      new ConflictError('refund_not_required', 'Order 7GQ2M3XK9P1A has no refund to make (payment paid).'),
    ],
  },
  'POST /operator/orders/{orderId}/redrive': {
    operationId: 'redriveOrder',
    parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
    success: {
      status: 202,
      description: "The order's latest execution, redriven: it goes on from the state where it failed.",
      body: { name: 'RedriveResult', schema: RedriveResultSchema },
    },
    errors: [
      validationFailed,
      new NotFoundError('Order 7GQ2M3XK9P1A', 'order_not_found'),
      new ConflictError('not_redrivable', 'The workflow of order 7GQ2M3XK9P1A succeeded (7GQ2M3XK9P1A).'),
    ],
  },
  'POST /operator/orders/{orderId}/resend-emails': {
    operationId: 'resendOrderEmails',
    parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
    success: {
      status: 200,
      description:
        'The emails sent again: the confirmation of a card or PayPal order, the payment instructions of one waiting ' +
        'for its transfer or slip, a new first-access link for a mailbox without a password.',
      body: { name: 'ResendResult', schema: ResendResultSchema },
    },
    errors: [
      validationFailed,
      new NotFoundError('Order 7GQ2M3XK9P1A', 'order_not_found'),
      new ConflictError('nothing_to_resend', 'Order 7GQ2M3XK9P1A (failed, payment failed) has no email to send again.'),
    ],
  },
  'POST /resellers': {
    operationId: 'applyForResale',
    tag: 'holder',
    request: { name: 'EnrolmentRequest', schema: EnrolmentRequestSchema },
    success: {
      status: 202,
      description:
        'The application, pending_documents, with one S3 presigned POST form per document (adhesionForm, ' +
        'identityDocument): send its fields, then the file as `file`; S3 refuses another content type or more than maxBytes.',
      body: { name: 'Enrolment', schema: EnrolmentSchema },
    },
    errors: [
      new ValidationError([
        { path: 'company.vatNumber', message: 'A VAT number (partita IVA) has 11 digits and a valid check digit.' },
      ]),
      new TooManyRequestsError('At most 5 applications in 1 hours: retry in 3000 seconds.', 3000),
    ],
  },
  'POST /operator/resellers/{resellerId}/approve': {
    operationId: 'approveReseller',
    parameters: [
      { name: 'resellerId', in: 'path', required: true, description: 'The enrolment id.', schema: { type: 'string' } },
    ],
    success: {
      status: 200,
      description:
        'Approved: the reseller (resellerId), its API key (apiKey, shown only here) and its first deposit to pay ' +
        '(topUp: 200 euro + VAT by transfer quoting its RF reference), credited when the transfer is registered.',
      body: { name: 'Enrolment', schema: EnrolmentSchema },
    },
    errors: [
      new NotFoundError('Enrolment 7GQ2M3XK9P1A', 'not_found'),
      new ConflictError('enrolment_not_pending', 'Enrolment 7GQ2M3XK9P1A was already approved.'),
      new ConflictError(
        'enrolment_being_approved',
        'Enrolment 7GQ2M3XK9P1A is being approved by another operator; if that approval stopped, approve again in 60 seconds to finish it.',
      ),
    ],
  },
  'POST /operator/resellers/{resellerId}/reject': {
    operationId: 'rejectReseller',
    parameters: [
      { name: 'resellerId', in: 'path', required: true, description: 'The enrolment id.', schema: { type: 'string' } },
    ],
    request: { name: 'EnrolmentRejectionRequest', schema: EnrolmentRejectionRequestSchema },
    success: {
      status: 200,
      description: 'Rejected with the reason, emailed to the applicant.',
      body: { name: 'Enrolment', schema: EnrolmentSchema },
    },
    errors: [
      new NotFoundError('Enrolment 7GQ2M3XK9P1A', 'not_found'),
      new ConflictError('enrolment_not_pending', 'Enrolment 7GQ2M3XK9P1A was already approved.'),
      new ConflictError(
        'enrolment_being_approved',
        'Enrolment 7GQ2M3XK9P1A is being approved by another operator; if that approval stopped, approve again in 60 seconds to finish it.',
      ),
    ],
  },
  'GET /operator/resellers': {
    operationId: 'listPendingEnrolments',
    query: OperatorResellersQuerySchema,
    success: {
      status: 200,
      description:
        'The enrolments awaiting a decision, longest waiting first (one query per status of the status index): ' +
        'pending_documents, and approving (an approval that stopped half-way; approving again finishes it).',
      body: { name: 'EnrolmentList', schema: EnrolmentListSchema },
    },
    errors: [listRefused],
  },
};

/** What the local gateway answers an operator route without the operator's credentials (in AWS: IAM's 403). */
const OPERATOR_REFUSALS = [
  new UnauthorizedError('Sign the request (SigV4) with an operator identity; locally, x-api-key is the operator key.'),
];

/** The header of every 429: a rate limit says when the same request may succeed. */
const RETRY_AFTER = {
  description: 'Seconds until the same request may succeed.',
  schema: { type: 'integer', minimum: 1 },
};

/** What API Gateway (and the local gateway) answers for a storefront route without a valid key. */
const MISSING_API_KEY = new UnauthorizedError('A valid x-api-key header is required.');

interface Components {
  schemas: JsonObject;
  requestBodies: JsonObject;
  responses: JsonObject;
}

const routeKey = (route: Pick<ApiRoute, 'method' | 'path'>) => `${route.method} ${route.path}`;

/**
 * The OpenAPI 3.1 document of the HTTP contract, served at `GET /openapi.json`.
 *
 * Its paths are the routes of `infra/api-routes.ts`, the table the CDK API and the local gateway
 * are built from; its schemas are the zod schemas that validate the requests; its error examples
 * are what `problem.ts` renders. The local-only `/_local/*` routes are in no route table.
 *
 * @throws {Error} when a route has no operation documented here, or an operation no route.
 */
export function buildOpenApiDocument(routes: readonly ApiRoute[] = API_ROUTES): JsonObject {
  const components: Components = {
    schemas: { Problem: jsonSchema(ProblemSchema, 'output') },
    requestBodies: {},
    responses: {},
  };
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const doc = OPERATIONS[routeKey(route)];
    if (!doc) throw new Error(`${routeKey(route)} has no OpenAPI operation.`);
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route, doc, components) };
  }
  const stale = Object.keys(OPERATIONS).filter((key) => !routes.some((route) => routeKey(route) === key));
  if (stale.length > 0) throw new Error(`No route serves the OpenAPI operations ${stale.join(', ')}.`);

  return {
    openapi: '3.1.0',
    info: {
      title: 'PEC provisioning API',
      version: API_VERSION,
      description:
        'Sells and runs Italian certified-email (PEC) mailboxes. Money in integer euro cents, times in ISO 8601 UTC, ' +
        'errors as RFC 9457 problem documents.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    security: [{ apiKey: [] }],
    tags: [
      { name: 'storefront', description: 'Catalog, orders and mailboxes; need the storefront API key.' },
      { name: 'holder', description: 'Called by the mailbox holder, authenticated by a one-time token.' },
      { name: 'payments', description: 'Called by the payment provider, authenticated by a signature.' },
      { name: 'operator', description: 'Called by operators: IAM (SigV4) in AWS, the operator key locally.' },
    ],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The storefront API key.' },
        operatorIam: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'AWS Signature Version 4 of an IAM identity allowed execute-api:Invoke on /operator/* (x-api-key with the operator key locally).',
        },
      },
      ...components,
    },
  };
}

/** One route's operation; the schemas it names are added to `components`. */
function operation(route: ApiRoute, doc: OperationDoc, components: Components): JsonObject {
  const json = ({ name, schema }: Named) => {
    components.schemas[name] ??= jsonSchema(schema, 'output');
    return { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } };
  };
  const { success } = doc;
  const parameters = [...queryParameters(doc.query), ...(doc.parameters ?? [])];
  let requestBody: JsonObject | undefined;
  if (doc.request) {
    // Request bodies live under `requestBodies`, not `schemas`: client generators then read a field
    // with a default as optional for the client to send (openapi-typescript makes a defaulted
    // field of a *schema* required, as a response always carries it).
    const { name, schema } = doc.request;
    components.requestBodies[name] ??= {
      required: true,
      content: { 'application/json': { schema: jsonSchema(schema, 'input') } },
    };
    requestBody = { $ref: `#/components/requestBodies/${name}` };
  }
  const errors = [
    ...(route.apiKey ? [MISSING_API_KEY] : []),
    ...(route.operator ? OPERATOR_REFUSALS : []),
    ...(doc.errors ?? []),
  ];
  return {
    operationId: doc.operationId,
    ...(route.apiKey
      ? { tags: ['storefront'] }
      : route.operator
        ? { security: [{ operatorIam: [] }], tags: ['operator'] }
        : { security: [], ...(doc.tag ? { tags: [doc.tag] } : {}) }),
    summary: route.description,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      [success.status]: {
        description: success.description,
        ...(success.body === 'any-json'
          ? { content: { 'application/json': {} } }
          : success.body === 'html'
            ? { content: { 'text/html': { schema: { type: 'string' } } } }
            : success.body
              ? { content: json(success.body) }
              : {}),
      },
      ...problemResponses([...errors.map(problemFor), problemFor(new Error('anything unexpected'))], components),
    },
  };
}

/** The query parameters of a route, from the schema that validates its query string. */
function queryParameters(query: z.ZodObject | undefined): JsonObject[] {
  return Object.entries(query?.shape ?? {}).map(([name, field]) => {
    const schema = jsonSchema(field as z.ZodType, 'input');
    return {
      name,
      in: 'query',
      required: !(field as z.ZodType).safeParse(undefined).success,
      schema,
      ...(Array.isArray(schema.examples) ? { example: schema.examples[0] } : {}),
    };
  });
}

/**
 * The problem responses of an operation, one per status. A problem is documented once under
 * `components.responses` (named by its code) and referenced; a status with several problems lists
 * each as an example.
 */
function problemResponses(problems: ProblemDocument[], components: Components): Record<string, JsonObject> {
  const response = (description: string, examples: JsonObject, status: number) => ({
    description,
    ...(status === 429 ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, ...examples } },
  });
  const byStatus = new Map<number, ProblemDocument[]>();
  for (const problem of problems) byStatus.set(problem.status, [...(byStatus.get(problem.status) ?? []), problem]);
  return Object.fromEntries(
    [...byStatus].map(([status, all]) => {
      const [problem, ...others] = all as [ProblemDocument, ...ProblemDocument[]];
      if (others.length > 0) {
        const examples = Object.fromEntries(all.map((each) => [each.code, { value: each }]));
        return [status, response(all.map((each) => each.detail).join(' Or: '), { examples }, status)];
      }
      const documented = components.responses[problem.code];
      // Another problem under the same code (a validation failure of its own) is described in place.
      const own = response(problem.detail, { example: problem }, status);
      if (documented && !isDeepStrictEqual(documented, own)) return [status, own];
      components.responses[problem.code] = own;
      return [status, { $ref: `#/components/responses/${problem.code}` }];
    }),
  );
}
