import { Agent } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../infra/api-routes.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import {
  contractBreach,
  exampleBodies,
  type HostileRequest,
  hostileRequests,
  type KnownEntities,
  sendHostile,
} from '../support/hostile-requests.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

const local = withLocalRuntime();

/** Requests per property run, sent together: the runtime sees 8 at a time, as under light load. */
const PARALLEL = 8;
/** At least this many hostile requests for every route. */
const REQUESTS_PER_ROUTE = 1000;

const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL });
afterAll(() => agent.destroy());

const known: KnownEntities = { address: '', orderId: '', grossCents: 0 };
const sent = new Map<string, number>();

beforeAll(async () => {
  // A live mailbox and an order waiting for its credit, so that some requests reach the use cases.
  known.address = freshAddress('pec.it');
  const card = await local.api.post('/orders', orderBody({ address: known.address }));
  await local.api.waitForOrder(card.json.orderId, (order) => order.status === 'completed');

  const transfer = await local.api.post('/orders', orderBody({ payment: { method: 'bank_transfer' } }));
  known.orderId = transfer.json.orderId;
  known.grossCents = transfer.json.totals.grossCents;
  // The order's workflow must be waiting for the credit (before that, a credit is a 503 retry-later).
  for (let attempt = 0; ; attempt++) {
    const probe = await deliver(local.api, paymentEvent(known.orderId, known.grossCents + 1));
    if (probe.status === 200) break;
    if (attempt > 100) throw new Error(`the order never waited for its credit: ${probe.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 60_000);

describe('hostile requests', () => {
  it('GET /mailboxes/a%25zz%40pec.it is decoded once, to an address that does not exist', async () => {
    const response = await local.api.get('/mailboxes/a%25zz%40pec.it');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.json).toMatchObject({ status: 404, code: 'mailbox_not_found' });
    expect((await local.api.get('/catalog')).status).toBe(200);
  });

  it.each([
    ['/mailboxes/a%zz%40pec.it', 'address'],
    ['/mailboxes/%E0%A4%A%40pec.it', 'address'],
    ['/mailboxes/%ED%A0%80%40pec.it/renewals', 'address'],
    ['/orders/%', 'orderId'],
  ])('a malformed escape in %s is a 400 naming %s', async (path, field) => {
    const method = path.endsWith('/renewals') ? 'POST' : 'GET';
    const response = await local.api.request(method, path, method === 'POST' ? { body: {} } : {});
    expect(response.status).toBe(400);
    expect(response.json.code).toBe('validation_failed');
    expect(response.json.errors).toContainEqual({ path: field, message: expect.any(String) });
  });

  it('an address is decoded exactly once: %40 finds the mailbox, %2540 does not', async () => {
    const [name, domain] = known.address.split('@');
    expect((await local.api.get(`/mailboxes/${name}%40${domain}`)).status).toBe(200);
    expect((await local.api.get(`/mailboxes/${name}@${domain}`)).status).toBe(200);
    expect((await local.api.get(`/mailboxes/${name}%40${domain?.toUpperCase()}`)).status).toBe(200);
    expect((await local.api.get(`/mailboxes/${name}%2540${domain}`)).status).toBe(404);
  });

  it('a body with a lone surrogate is a 400 naming the field', async () => {
    const response = await local.api.request('POST', '/password-setup', {
      rawBody: '{"token":"abc","password":"Sole-\\ud800-Luna-2026!"}',
      apiKey: null,
    });
    expect(response.status).toBe(400);
    expect(response.json.errors).toEqual([{ path: 'password', message: 'The text is not valid Unicode.' }]);
  });

  it('a body over 1 MB is a 413 problem', async () => {
    const response = await local.api.request('POST', '/orders', { rawBody: 'x'.repeat(1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(response.json.code).toBe('request_too_large');
  });

  it('a malformed escape in a local route is a 400, not a failure', async () => {
    const response = await local.api.request('PUT', '/_local/dns/%zz', { body: { mx: ['mx1.example.com'] } });
    expect(response.status).toBe(400);
    expect(response.json.errors).toEqual([{ path: 'domain', message: expect.any(String) }]);
  });
});

describe('fuzzing every route', () => {
  it('has a near-valid example body for every route that takes a body', () => {
    const examples = exampleBodies(known);
    const withBody = API_ROUTES.filter((route) => route.method !== 'GET').map((route) => route.handler);
    expect(withBody.filter((handler) => !(handler in examples))).toEqual([]);
  });

  it.each(API_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s: no hostile request gets a 5xx, every refusal is a problem document',
    async (name, route) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(hostileRequests(route, known), { minLength: PARALLEL, maxLength: PARALLEL }),
          async (batch: HostileRequest[]) => {
            const answers = await Promise.all(batch.map((hostile) => sendHostile(local.runtime.url, agent, hostile)));
            sent.set(name, (sent.get(name) ?? 0) + batch.length);
            answers.forEach((answer, index) => {
              const breach = contractBreach(answer);
              if (breach !== undefined) {
                const { method, target, headers, body } = batch[index] as HostileRequest;
                throw new Error(`${method} ${target} ${JSON.stringify(headers)} ${body?.slice(0, 300)}: ${breach}`);
              }
            });
          },
        ),
        { numRuns: REQUESTS_PER_ROUTE / PARALLEL },
      );
    },
    120_000,
  );

  it('leaves the runtime answering, after 1,000 hostile requests per route', async () => {
    for (const route of API_ROUTES) expect(sent.get(`${route.method} ${route.path}`)).toBe(REQUESTS_PER_ROUTE);
    const catalog = await local.api.get('/catalog');
    expect(catalog.status).toBe(200);
    expect(catalog.json.domains).toContain('pec.it');
    expect((await local.api.get(`/mailboxes/${encodeURIComponent(known.address)}`)).json.status).toBe('active');
  });
});
