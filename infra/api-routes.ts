/**
 * The HTTP routes of CONTRACT.md and the handler that serves each. The CDK API and the local
 * runtime are both built from this one table, so they cannot drift apart.
 */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT';
  /** API Gateway resource path, with `{param}` placeholders. */
  path: string;
  /** File name (without `.ts`) under `functions/handlers/`. */
  handler: string;
  /** Storefront routes need `x-api-key`; the others authenticate by token or signature. */
  apiKey: boolean;
  description: string;
}

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/catalog', handler: 'get-catalog', apiKey: true, description: 'Domains, plans and prices' },
  {
    method: 'GET',
    path: '/availability',
    handler: 'get-availability',
    apiKey: true,
    description: 'Is an address free',
  },
  { method: 'POST', path: '/orders', handler: 'create-order', apiKey: true, description: 'Orders a new mailbox' },
  { method: 'GET', path: '/orders/{orderId}', handler: 'get-order', apiKey: true, description: 'Order status' },
  { method: 'GET', path: '/mailboxes/{address}', handler: 'get-mailbox', apiKey: true, description: 'Mailbox status' },
  {
    method: 'POST',
    path: '/mailboxes/{address}/renewals',
    handler: 'renew-mailbox',
    apiKey: true,
    description: 'Manual renewal order',
  },
  {
    method: 'PUT',
    path: '/mailboxes/{address}/auto-renew',
    handler: 'set-auto-renew',
    apiKey: true,
    description: 'Switches automatic renewal',
  },
  {
    method: 'POST',
    path: '/password-setup',
    handler: 'set-first-password',
    apiKey: false,
    description: 'First-access password, authenticated by its token',
  },
  {
    method: 'POST',
    path: '/webhooks/payments',
    handler: 'payments-webhook',
    apiKey: false,
    description: 'Payment provider events, authenticated by their HMAC signature',
  },
  {
    method: 'GET',
    path: '/openapi.json',
    handler: 'get-openapi',
    apiKey: false,
    description: 'The OpenAPI 3.1 document',
  },
];
