import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';

const local = withLocalRuntime();

/** The second local storefront: a customer of its own, and none of the first one's. */
const other = () => new ApiClient(local.api.baseUrl, 'sk_local_other');

const mailboxPath = (address: string, suffix = '') => `/mailboxes/${encodeURIComponent(address)}${suffix}`;

/** A completed card order of the first storefront (`sk_local_dev`), with its active mailbox. */
async function ownOrder() {
  const address = freshAddress();
  const created = await local.api.post('/orders', orderBody({ address }));
  expect(created.status).toBe(201);
  await local.api.waitForOrder(created.json.orderId, (order) => order.status === 'completed');
  return { orderId: created.json.orderId as string, address };
}

/**
 * Every route that names an order or a mailbox, as the other storefront would call it: each must
 * answer exactly what it answers for an order or mailbox that does not exist.
 */
const ROUTES_NAMING_ONE: {
  name: string;
  call: (api: ApiClient, target: { orderId: string; address: string }) => ReturnType<ApiClient['request']>;
}[] = [
  { name: 'GET /orders/{orderId}', call: (api, { orderId }) => api.get(`/orders/${orderId}`) },
  {
    name: 'POST /orders/{orderId}/cancel',
    call: (api, { orderId }) => api.request('POST', `/orders/${orderId}/cancel`),
  },
  { name: 'GET /mailboxes/{address}', call: (api, { address }) => api.get(mailboxPath(address)) },
  {
    name: 'POST /mailboxes/{address}/renewals',
    call: (api, { address }) =>
      api.post(mailboxPath(address, '/renewals'), { years: 1, payment: { method: 'card', token: 'tok_visa' } }),
  },
  {
    name: 'PUT /mailboxes/{address}/auto-renew',
    call: (api, { address }) => api.request('PUT', mailboxPath(address, '/auto-renew'), { body: { enabled: false } }),
  },
  {
    name: 'POST /mailboxes/{address}/first-access-link',
    call: (api, { address }) => api.post(mailboxPath(address, '/first-access-link'), undefined),
  },
  {
    name: 'POST /mailboxes/{address}/dns-check',
    call: (api, { address }) => api.post(mailboxPath(address, '/dns-check'), undefined),
  },
];

/** Every item of a list, page after page. */
async function listAll(api: ApiClient, path: string) {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page = await api.get(`${path}${separator}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status, page.text).toBe(200);
    items.push(...page.json.items);
    cursor = page.json.nextCursor;
  } while (cursor !== null);
  return items;
}

/** Every list of a storefront's items, with how to tell the first storefront's order or mailbox in it. */
const LISTS: {
  name: string;
  path: string;
  holds: (item: any, target: { orderId: string; address: string }) => boolean;
}[] = [
  { name: 'GET /orders', path: '/orders', holds: (item, { orderId }) => item.orderId === orderId },
  {
    name: 'GET /orders?status=completed',
    path: '/orders?status=completed',
    holds: (item, { orderId }) => item.orderId === orderId,
  },
  { name: 'GET /mailboxes', path: '/mailboxes', holds: (item, { address }) => item.address === address },
  {
    name: 'GET /mailboxes?status=active',
    path: '/mailboxes?status=active',
    holds: (item, { address }) => item.address === address,
  },
  {
    name: 'GET /mailboxes?expiresBefore=',
    path: '/mailboxes?expiresBefore=2100-01-01T00:00:00Z',
    holds: (item, { address }) => item.address === address,
  },
];

describe('each storefront sees only its own', () => {
  it('accepts both local storefront keys, and refuses any other with 401', async () => {
    expect((await other().get('/catalog')).status).toBe(200);
    expect((await local.api.get('/catalog')).status).toBe(200);
    expect((await local.api.get('/catalog', { apiKey: 'sk_local_nobody' })).status).toBe(401);
  });

  it.each(ROUTES_NAMING_ONE)(
    '$name answers 404 to the other storefront, as for one that does not exist',
    async ({ call }) => {
      const target = await ownOrder();
      const missing = { orderId: '0000000000ZZ', address: freshAddress() };

      const foreign = await call(other(), target);
      const absent = await call(other(), missing);

      expect(foreign.status).toBe(404);
      expect(foreign.headers.get('content-type')).toContain('application/problem+json');
      expect({ ...foreign.json, detail: undefined }).toEqual({ ...absent.json, detail: undefined });

      // Nothing changed for the owner: the mailbox is as it was, automatic renewal still on.
      const mine = await local.api.get(mailboxPath(target.address));
      expect(mine.json).toMatchObject({ status: 'active', autoRenew: true });
      expect((await local.api.get(`/orders/${target.orderId}`)).json.status).toBe('completed');
    },
  );

  it.each(LISTS)("$name with the other key never lists the first storefront's", async ({ path, holds }) => {
    const target = await ownOrder();

    expect((await listAll(local.api, path)).some((item) => holds(item, target))).toBe(true);
    expect((await listAll(other(), path)).some((item) => holds(item, target))).toBe(false);
  });

  it('keeps Idempotency-Keys per storefront: the same key from two storefronts places two orders', async () => {
    const key = `shared-${Date.now()}`;
    const mine = await local.api.post('/orders', orderBody(), { headers: { 'idempotency-key': key } });
    const theirs = await other().post('/orders', orderBody(), { headers: { 'idempotency-key': key } });

    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.json.orderId).not.toBe(mine.json.orderId);
    expect((await other().get(`/orders/${mine.json.orderId}`)).status).toBe(404);
    expect((await other().get(`/orders/${theirs.json.orderId}`)).status).toBe(200);
  });

  it('still tells the other storefront that a taken address is unavailable (availability is the same for everyone)', async () => {
    const { address } = await ownOrder();

    const availability = await other().get(`/availability?address=${encodeURIComponent(address)}`);
    const order = await other().post('/orders', orderBody({ address }));

    expect(availability.json).toMatchObject({ address, available: false });
    expect(order.status).toBe(409);
    expect(order.json.code).toBe('address_unavailable');
  });
});
