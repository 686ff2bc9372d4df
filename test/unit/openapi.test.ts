import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildOpenApiDocument } from '../../functions/adapters/http/openapi.ts';
import { problemFor } from '../../functions/adapters/http/problem.ts';
import { AddressUnavailableError } from '../../functions/domain/errors.ts';
import { CreateOrderRequestSchema, PublicOrderSchema } from '../../functions/domain/schemas.ts';
import { API_ROUTES } from '../../infra/api-routes.ts';

interface Operation {
  summary?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { $ref: string };
  responses: Record<string, { $ref?: string; content?: Record<string, unknown> }>;
}
interface Document {
  openapi: string;
  security: unknown[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, unknown>;
    schemas: Record<string, Record<string, unknown>>;
    responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }>;
    requestBodies: Record<string, { required: boolean; content: Record<string, { schema: Record<string, unknown> }> }>;
  };
}

const document = buildOpenApiDocument() as unknown as Document;
const createOrderRequest = () =>
  document.components.requestBodies.CreateOrderRequest?.content['application/json']?.schema;
const operation = (path: string, method: string): Operation => {
  const found = document.paths[path]?.[method];
  if (found === undefined) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
  return found;
};

/** Every route of CONTRACT.md that a deployment serves, with its success status. */
const CONTRACT_ROUTES = [
  ['get', '/catalog', '200'],
  ['get', '/availability', '200'],
  ['post', '/orders', '201'],
  ['get', '/orders/{orderId}', '200'],
  ['get', '/orders', '200'],
  ['get', '/mailboxes', '200'],
  ['post', '/orders/{orderId}/cancel', '200'],
  ['get', '/mailboxes/{address}', '200'],
  ['post', '/mailboxes/{address}/renewals', '201'],
  ['put', '/mailboxes/{address}/auto-renew', '200'],
  ['post', '/mailboxes/{address}/first-access-link', '202'],
  ['get', '/password-setup', '200'],
  ['post', '/mailboxes/{address}/dns-check', '202'],
  ['post', '/password-setup', '204'],
  ['post', '/password-reset', '202'],
  ['post', '/webhooks/payments', '2XX'],
  ['post', '/webhooks/stripe', '200'],
  ['get', '/openapi.json', '200'],
  ['get', '/operator/orders', '200'],
  ['get', '/operator/anomalies', '200'],
  ['post', '/operator/orders/{orderId}/refund-done', '200'],
  ['post', '/operator/orders/{orderId}/redrive', '202'],
  ['post', '/operator/orders/{orderId}/resend-emails', '200'],
  ['get', '/reseller/credit', '200'],
  ['post', '/reseller/credit/top-ups', '201'],
  ['put', '/reseller/settings', '200'],
  ['post', '/reseller/domains', '201'],
  ['get', '/reseller/domains', '200'],
  ['post', '/reseller/domains/{domain}/dns-check', '200'],
  ['post', '/resellers', '202'],
  ['post', '/operator/resellers/{resellerId}/approve', '200'],
  ['post', '/operator/resellers/{resellerId}/reject', '200'],
  ['get', '/operator/resellers', '200'],
] as const;

const STOREFRONT = new Set([
  '/catalog',
  '/availability',
  '/orders',
  '/orders/{orderId}',
  '/mailboxes',
  '/orders/{orderId}/cancel',
  '/mailboxes/{address}',
]);
const isStorefront = (path: string) =>
  STOREFRONT.has(path) || path.startsWith('/mailboxes/') || path.startsWith('/reseller/');

describe('buildOpenApiDocument', () => {
  it('is an OpenAPI 3.1 document that survives JSON', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });

  it('documents exactly the routes of the contract, local-only routes excluded', () => {
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(CONTRACT_ROUTES.map(([method, path]) => `${method} ${path}`).sort());
  });

  it.each(CONTRACT_ROUTES)('gives %s %s its success status %s', (method, path, status) => {
    expect(operation(path, method).responses).toHaveProperty(status);
  });

  it('protects storefront routes with x-api-key and only those', () => {
    expect(document.components.securitySchemes.apiKey).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
    );
    expect(document.security).toEqual([{ apiKey: [] }]);
    for (const [method, path] of CONTRACT_ROUTES) {
      const { security, responses } = operation(path, method);
      if (isStorefront(path)) {
        expect(security, `${method} ${path}`).toBeUndefined();
        expect(responses, `${method} ${path}`).toHaveProperty('401');
      } else if (path.startsWith('/operator/')) {
        // Operators sign with SigV4 (IAM), not the storefront key.
        expect(security, `${method} ${path}`).toEqual([{ operatorIam: [] }]);
        expect(responses, `${method} ${path}`).toHaveProperty('401');
      } else {
        expect(security, `${method} ${path}`).toEqual([]);
      }
    }
  });

  it('documents the signature header of the payment webhook', () => {
    const webhook = operation('/webhooks/payments', 'post');
    expect(webhook.parameters).toContainEqual(
      expect.objectContaining({ name: 'payment-signature', in: 'header', required: true }),
    );
    expect(webhook.responses).toHaveProperty('401');
  });

  it('documents the password-setup page as HTML taking the token in its query', () => {
    const page = operation('/password-setup', 'get');
    expect(page.responses['200']?.content).toEqual({ 'text/html': { schema: { type: 'string' } } });
    expect(page.parameters).toContainEqual(expect.objectContaining({ name: 'token', in: 'query', required: false }));
    expect(page.security).toEqual([]);
  });

  it('documents the Retry-After header of every 429', () => {
    const resolve = (response: Operation['responses'][string]) =>
      (response.$ref ? document.components.responses[response.$ref.split('/').at(-1) as string] : response) as {
        headers?: Record<string, unknown>;
      };
    for (const [path, method] of [
      ['/mailboxes/{address}/first-access-link', 'post'],
      ['/password-reset', 'post'],
    ] as const) {
      const tooMany = operation(path, method).responses['429'];
      expect(resolve(tooMany as Operation['responses'][string]).headers, `${method} ${path}`).toHaveProperty(
        'Retry-After',
      );
    }
  });

  it('documents the optional Idempotency-Key of POST /orders', () => {
    expect(operation('/orders', 'post').parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    );
  });

  it.each([
    ['/orders', 'post', ['400', '409', '422']],
    ['/orders/{orderId}', 'get', ['404']],
    ['/orders/{orderId}/cancel', 'post', ['404', '409']],
    ['/mailboxes/{address}', 'get', ['404']],
    ['/mailboxes/{address}/renewals', 'post', ['400', '404', '409']],
    ['/mailboxes/{address}/auto-renew', 'put', ['400', '404', '409']],
    ['/password-setup', 'post', ['400', '404', '410']],
    ['/mailboxes/{address}/first-access-link', 'post', ['404', '409', '429']],
    ['/password-reset', 'post', ['400', '429']],
    ['/availability', 'get', ['400']],
    ['/orders', 'get', ['400']],
    ['/mailboxes', 'get', ['400']],
  ])('lists the contract errors of %s %s', (path, method, statuses) => {
    for (const status of statuses) expect(operation(path, method).responses).toHaveProperty(status);
  });

  it('describes every error as application/problem+json', () => {
    const resolve = (response: Operation['responses'][string]) =>
      response.$ref ? document.components.responses[response.$ref.split('/').at(-1) as string] : response;
    for (const [method, path] of CONTRACT_ROUTES) {
      for (const [status, response] of Object.entries(operation(path, method).responses)) {
        if (!/^[45]/.test(status)) continue;
        expect(Object.keys(resolve(response)?.content ?? {}), `${method} ${path} ${status}`).toEqual([
          'application/problem+json',
        ]);
      }
    }
  });

  it('resolves every $ref', () => {
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      const pointer = (JSON.parse(`{${ref}}`) as { $ref: string }).$ref;
      const target = pointer
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
      expect(target, pointer).toBeDefined();
    }
  });

  it('generates request bodies from the validating schemas, as clients write them', () => {
    expect(operation('/orders', 'post').requestBody).toEqual({ $ref: '#/components/requestBodies/CreateOrderRequest' });
    const { $schema: _, ...expected } = z.toJSONSchema(CreateOrderRequestSchema, { io: 'input' });
    expect(document.components.requestBodies.CreateOrderRequest).toEqual({
      required: true,
      content: { 'application/json': { schema: expected } },
    });
  });

  it('leaves fields with a default optional in requests (io: input)', () => {
    const mailbox = (createOrderRequest() as { properties: Record<string, unknown> }).properties.mailbox as {
      required: string[];
      properties: Record<string, unknown>;
    };
    expect(mailbox.required.sort()).toEqual(['address', 'type']);
    expect(mailbox.properties.domainPec).toEqual(expect.objectContaining({ type: 'boolean', default: false }));
  });

  it('requires consents.termsVersion of a new order, and shows the conditions in force in the catalog', () => {
    const body = createOrderRequest() as {
      required: string[];
      properties: { consents: { required: string[]; properties: Record<string, unknown> } };
    };
    expect(body.required).toContain('consents');
    expect(body.properties.consents.required).toEqual(['termsVersion']);
    const catalog = document.components.schemas.Catalog as { required: string[]; properties: Record<string, unknown> };
    expect(catalog.required).toContain('terms');
    expect(catalog.properties.terms).toEqual(expect.objectContaining({ required: ['version', 'url'] }));
  });

  it('generates responses from the response schemas', () => {
    const { $schema: _, ...expected } = z.toJSONSchema(PublicOrderSchema);
    expect(document.components.schemas.Order).toEqual(expected);
    const order = document.components.schemas.Order as { properties: { status: { enum: string[] } } };
    expect(order.properties.status.enum).toEqual(['pending_payment', 'activating', 'completed', 'cancelled', 'failed']);
  });

  it('documents the query parameters of the lists, as the schemas that check them take them', () => {
    const parameters = (path: string) =>
      Object.fromEntries(
        (operation(path, 'get').parameters ?? []).map((parameter) => [
          parameter.name,
          { in: parameter.in, required: parameter.required, ...(parameter as { schema?: object }).schema },
        ]),
      );
    const limit = { in: 'query', required: false, type: 'integer', minimum: 1, maximum: 100, default: 20 };

    expect(parameters('/orders')).toEqual({
      status: expect.objectContaining({
        in: 'query',
        required: false,
        enum: ['pending_payment', 'activating', 'completed', 'cancelled', 'failed'],
      }),
      limit: expect.objectContaining(limit),
      cursor: expect.objectContaining({ in: 'query', required: false, type: 'string' }),
    });
    expect(parameters('/mailboxes')).toEqual({
      status: expect.objectContaining({ enum: ['activating', 'active', 'suspended', 'deleted'] }),
      expiresBefore: expect.objectContaining({ in: 'query', required: false, type: 'string', format: 'date-time' }),
      limit: expect.objectContaining(limit),
      cursor: expect.objectContaining({ type: 'string' }),
    });
  });

  it('answers a list as a page of items with the cursor of the next', () => {
    for (const [path, name, item] of [
      ['/orders', 'OrderList', 'orderId'],
      ['/mailboxes', 'MailboxList', 'address'],
    ] as const) {
      expect(operation(path, 'get').responses['200']?.content).toEqual({
        'application/json': { schema: { $ref: `#/components/schemas/${name}` } },
      });
      const list = document.components.schemas[name] as {
        required: string[];
        description: string;
        properties: { items: { items: { required: string[] } }; nextCursor: unknown };
      };
      expect(list.required.sort()).toEqual(['items', 'nextCursor']);
      expect(list.properties.items.items.required).toContain(item);
      expect(list.properties.nextCursor).toEqual(expect.objectContaining({ type: ['string', 'null'] }));
      expect(list.description).toContain('newest first');
    }
  });

  it('carries no $schema keyword inside components', () => {
    for (const schema of Object.values(document.components.schemas)) expect(schema).not.toHaveProperty('$schema');
  });

  it('documents the exactly-one rule of billing', () => {
    const billing = (createOrderRequest() as { properties: Record<string, unknown> }).properties.billing;
    expect(billing).toEqual(
      expect.objectContaining({ oneOf: [{ required: ['recipientCode'] }, { required: ['pecAddress'] }] }),
    );
  });

  it('generates its paths from the route table: one operation per route, summarised by its description', () => {
    for (const route of API_ROUTES) {
      expect(operation(route.path, route.method.toLowerCase()).summary, `${route.method} ${route.path}`).toBe(
        route.description,
      );
    }
    expect(Object.values(document.paths).flatMap((methods) => Object.keys(methods))).toHaveLength(API_ROUTES.length);
  });

  it('refuses a route without an operation, and an operation without a route', () => {
    const extra = {
      method: 'GET',
      path: '/nowhere',
      handler: 'get-nowhere',
      apiKey: true,
      description: 'x',
      needs: {},
    } as const;
    expect(() => buildOpenApiDocument([...API_ROUTES, extra])).toThrow('GET /nowhere has no OpenAPI operation.');
    expect(() => buildOpenApiDocument(API_ROUTES.filter((route) => route.path !== '/catalog'))).toThrow(
      'No route serves the OpenAPI operations GET /catalog.',
    );
  });

  it('gives error examples exactly as the HTTP adapter renders the errors', () => {
    const responses = document.components.responses as unknown as Record<
      string,
      { content: Record<string, { example: unknown }> }
    >;
    expect(responses.address_unavailable?.content['application/problem+json']?.example).toEqual(
      problemFor(new AddressUnavailableError('mario.rossi@pec.it')),
    );
    expect(responses.internal_error?.content['application/problem+json']?.example).toEqual(
      problemFor(new Error('anything')),
    );
  });

  it('lists every problem of a status as an example of its own', () => {
    const conflict = operation('/mailboxes/{address}/renewals', 'post').responses['409'] as unknown as {
      content: Record<string, { examples: Record<string, unknown> }>;
    };
    expect(Object.keys(conflict.content['application/problem+json']?.examples ?? {})).toEqual([
      'auto_renew_active',
      'mailbox_not_renewable',
      'archive_in_use',
      'archive_not_available',
    ]);
  });
});
