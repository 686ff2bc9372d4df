import * as z from 'zod';
import {
  AddressSchema,
  AutoRenewRequestSchema,
  AvailabilityResponseSchema,
  CatalogResponseSchema,
  CreateOrderRequestSchema,
  PasswordSetupRequestSchema,
  PaymentWebhookEventSchema,
  ProblemSchema,
  PublicMailboxSchema,
  PublicOrderSchema,
  RenewalRequestSchema,
} from './schemas.ts';

/** Version of the HTTP contract the document describes; bump it with any change to a schema or a route. */
export const API_VERSION = '1.0.0';

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

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problemRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const json = (schemaName: string) => ({ 'application/json': { schema: ref(schemaName) } });

// Examples only: the problem documents themselves are built by the HTTP adapter.
const PROBLEM_TYPE_BASE = 'https://pec-provisioning.dev/problems/';
const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
};

function problemResponse(description: string, code: string, status: number, extra: JsonObject = {}): JsonObject {
  const example = {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: STATUS_TITLES[status] ?? 'Error',
    status,
    detail: description,
    code,
    ...extra,
  };
  return { description, content: { 'application/problem+json': { schema: ref('Problem'), example } } };
}

const body = (schemaName: string) => ({ required: true, content: json(schemaName) });

// Routes authenticated by something other than the storefront key override the global requirement.
const PUBLIC = { security: [] };

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
  example: 'mario.rossi@pec.it',
};

/**
 * The OpenAPI 3.1 document of the HTTP contract, served at `GET /openapi.json`.
 *
 * Built from the same zod schemas that validate requests, so the document cannot drift from the
 * validation. The local-only `/_local/*` routes are left out: they never exist in a deployment.
 */
export function buildOpenApiDocument(): JsonObject {
  const paths = routes();
  // Any route can fail on our side; saying so once here keeps the route table readable.
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) operation.responses[500] = problemRef('InternalError');
  }
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
    ],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The storefront API key.' },
      },
      schemas: {
        CreateOrderRequest: jsonSchema(CreateOrderRequestSchema, 'input'),
        RenewalRequest: jsonSchema(RenewalRequestSchema, 'input'),
        AutoRenewRequest: jsonSchema(AutoRenewRequestSchema, 'input'),
        PasswordSetupRequest: jsonSchema(PasswordSetupRequestSchema, 'input'),
        PaymentWebhookEvent: jsonSchema(PaymentWebhookEventSchema, 'input'),
        Order: jsonSchema(PublicOrderSchema, 'output'),
        Mailbox: jsonSchema(PublicMailboxSchema, 'output'),
        Catalog: jsonSchema(CatalogResponseSchema, 'output'),
        AvailabilityResponse: jsonSchema(AvailabilityResponseSchema, 'output'),
        Problem: jsonSchema(ProblemSchema, 'output'),
      },
      responses: {
        ValidationFailed: problemResponse(
          'The request has invalid fields: errors names every failing field by its dotted path.',
          'validation_failed',
          400,
          { errors: [{ path: 'holder.fiscalCode', message: 'A personal fiscal code has 16 characters.' }] },
        ),
        Unauthorized: problemResponse('Missing or wrong x-api-key.', 'unauthorized', 401),
        NotFound: problemResponse('Not found.', 'not_found', 404),
        InternalError: problemResponse(
          'Something went wrong on our side; the request can be retried.',
          'internal_error',
          500,
        ),
      },
    },
  };
}

interface Operation {
  responses: Record<string, unknown>;
  [field: string]: unknown;
}

function routes(): Record<string, Record<string, Operation>> {
  return {
    '/catalog': {
      get: {
        operationId: 'getCatalog',
        tags: ['storefront'],
        summary: 'Generic domains, plans, allowed years and extra-GB prices',
        responses: {
          200: { description: 'The catalog.', content: json('Catalog') },
          401: problemRef('Unauthorized'),
        },
      },
    },
    '/availability': {
      get: {
        operationId: 'checkAvailability',
        tags: ['storefront'],
        summary: 'Whether an address on a generic domain is free to order',
        parameters: [
          {
            name: 'address',
            in: 'query',
            required: true,
            schema: jsonSchema(AddressSchema, 'input'),
            example: 'mario.rossi@pec.it',
          },
        ],
        responses: {
          200: { description: 'Availability of the address.', content: json('AvailabilityResponse') },
          400: problemRef('ValidationFailed'),
          401: problemRef('Unauthorized'),
        },
      },
    },
    '/orders': {
      post: {
        operationId: 'createOrder',
        tags: ['storefront'],
        summary: 'Order a new mailbox',
        parameters: [idempotencyKeyParameter],
        requestBody: body('CreateOrderRequest'),
        responses: {
          201: { description: 'The order.', content: json('Order') },
          400: problemRef('ValidationFailed'),
          401: problemRef('Unauthorized'),
          409: problemResponse('The address is not available.', 'address_unavailable', 409),
          422: problemResponse(
            'The Idempotency-Key was already used with another body.',
            'idempotency_key_reused',
            422,
          ),
        },
      },
    },
    '/orders/{orderId}': {
      get: {
        operationId: 'getOrder',
        tags: ['storefront'],
        summary: 'Order status',
        parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: 'The order.', content: json('Order') },
          400: problemRef('ValidationFailed'),
          401: problemRef('Unauthorized'),
          404: problemRef('NotFound'),
        },
      },
    },
    '/mailboxes/{address}': {
      get: {
        operationId: 'getMailbox',
        tags: ['storefront'],
        summary: 'Mailbox status',
        parameters: [addressParameter],
        responses: {
          200: { description: 'The mailbox.', content: json('Mailbox') },
          400: problemRef('ValidationFailed'),
          401: problemRef('Unauthorized'),
          404: problemRef('NotFound'),
        },
      },
    },
    '/mailboxes/{address}/renewals': {
      post: {
        operationId: 'renewMailbox',
        tags: ['storefront'],
        summary: 'Manual renewal order',
        parameters: [addressParameter, idempotencyKeyParameter],
        requestBody: body('RenewalRequest'),
        responses: {
          201: { description: 'The renewal order.', content: json('Order') },
          400: problemRef('ValidationFailed'),
          401: problemRef('Unauthorized'),
          404: problemRef('NotFound'),
          409: problemResponse('Automatic renewal is active for this mailbox.', 'auto_renew_active', 409),
          422: problemResponse(
            'The Idempotency-Key was already used with another body.',
            'idempotency_key_reused',
            422,
          ),
        },
      },
    },
    '/mailboxes/{address}/auto-renew': {
      put: {
        operationId: 'setAutoRenew',
        tags: ['storefront'],
        summary: 'Turn automatic renewal on or off',
        parameters: [addressParameter],
        requestBody: body('AutoRenewRequest'),
        responses: {
          200: { description: 'The mailbox.', content: json('Mailbox') },
          400: problemRef('ValidationFailed'),
          401: problemRef('Unauthorized'),
          404: problemRef('NotFound'),
          409: problemResponse(
            'Automatic renewal needs a card or PayPal token to charge.',
            'payment_method_required',
            409,
          ),
        },
      },
    },
    '/password-setup': {
      post: {
        ...PUBLIC,
        operationId: 'setUpPassword',
        tags: ['holder'],
        summary: 'Set the first-access password with the token of the activation link',
        requestBody: body('PasswordSetupRequest'),
        responses: {
          204: { description: 'The password is set.' },
          400: problemResponse('The password does not meet the password policy.', 'validation_failed', 400, {
            errors: [{ path: 'password', message: 'Digit: the password must contain a digit.' }],
          }),
          404: problemResponse('This first-access link was not found.', 'token_not_found', 404),
          410: problemResponse('The link was already used or has expired.', 'token_gone', 410),
        },
      },
    },
    '/webhooks/payments': {
      post: {
        ...PUBLIC,
        operationId: 'receivePaymentEvent',
        tags: ['payments'],
        summary: 'Payment provider events: registered credits, succeeded and failed charges',
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
        requestBody: body('PaymentWebhookEvent'),
        responses: {
          '2XX': {
            description:
              'The event is recorded; also for an event id seen before (nothing happens twice) and for an unknown order. ' +
              'A credit that pays no order (wrong amount, not in EUR, a second credit, a closed or unknown order) is ' +
              'recorded as an anomaly to refund: `refundRequired: true`.',
          },
          400: problemRef('ValidationFailed'),
          401: problemResponse('Missing, stale or wrong payment-signature.', 'invalid_signature', 401),
          503: problemResponse(
            'The order is not waiting for its payment yet: deliver the event again later.',
            'retry_later',
            503,
          ),
        },
      },
    },
    '/openapi.json': {
      get: {
        ...PUBLIC,
        operationId: 'getOpenApiDocument',
        summary: 'This document',
        responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': {} } } },
      },
    },
  };
}
