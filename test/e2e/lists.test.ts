import { beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import { orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';

/*
 * GET /orders and GET /mailboxes over HTTP. A third storefront key, used by no other test, holds a
 * list whose every item the test placed, so a walk over its pages can be checked item by item.
 */
const local = withLocalRuntime({ storefrontApiKeys: ['sk_local_dev', 'sk_local_other', 'sk_local_lists'] });
const lists = () => new ApiClient(local.api.baseUrl, 'sk_local_lists');
const other = () => new ApiClient(local.api.baseUrl, 'sk_local_other');

const DAY = 24 * 3600 * 1000;

/** Every page of a list, following nextCursor; every page but the last is full. */
async function walk(api: ApiClient, path: string, limit: number) {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const separator = path.includes('?') ? '&' : '?';
    const page = await api.get(
      `${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(page.status, page.text).toBe(200);
    items.push(...page.json.items);
    cursor = page.json.nextCursor;
    if (cursor === null) return items;
    expect(page.json.items).toHaveLength(limit);
  }
  throw new Error(`${path} never ended`);
}

/** Places orders one after the other (so their creation times differ), waiting for each card order to complete. */
async function place(api: ApiClient, bodies: ReturnType<typeof orderBody>[]) {
  const placed: { orderId: string; address: string; createdAt: string }[] = [];
  for (const body of bodies) {
    const created = await api.post('/orders', body);
    expect(created.status, created.text).toBe(201);
    placed.push({ orderId: created.json.orderId, address: body.mailbox.address, createdAt: created.json.createdAt });
  }
  for (const { orderId } of placed) {
    const order = (await api.get(`/orders/${orderId}`)).json;
    if (order.payment.method === 'card') await api.waitForOrder(orderId, (o) => o.status === 'completed');
  }
  return placed;
}

/** Newest first, as the lists sort: by creation time, then by id (orders) or address (mailboxes). */
const newestFirst = <T>(items: T[], key: (item: T) => string) => [...items].sort((a, b) => (key(a) < key(b) ? 1 : -1));

describe("a storefront's lists (GET /orders, GET /mailboxes)", () => {
  // Five card orders (completed, each an active mailbox; one for two years) and two bank transfers
  // still waiting, whose addresses are only reserved: not mailboxes, so not listed.
  let placed: Awaited<ReturnType<typeof place>>;
  const transfer = { method: 'bank_transfer' };
  beforeAll(async () => {
    placed = await place(lists(), [
      orderBody(),
      orderBody({ payment: transfer }),
      orderBody({ years: 2 }),
      orderBody(),
      orderBody({ payment: transfer }),
      orderBody(),
      orderBody(),
    ]);
  }, 60_000);

  it('walks every order exactly once, newest first, page by page', async () => {
    const walked = await walk(lists(), '/orders', 3);

    expect(walked.map((order) => order.orderId)).toEqual(
      newestFirst(placed, (order) => `${order.createdAt}#${order.orderId}`).map((order) => order.orderId),
    );
    expect(walked[0]).toEqual((await lists().get(`/orders/${walked[0].orderId}`)).json);
  });

  it('filters orders by status', async () => {
    const pending = await walk(lists(), '/orders?status=pending_payment', 1);
    const completed = await walk(lists(), '/orders?status=completed', 2);

    expect(pending.map((order) => order.status)).toEqual(['pending_payment', 'pending_payment']);
    expect(completed).toHaveLength(5);
    expect(completed.every((order) => order.status === 'completed')).toBe(true);
    expect((await lists().get('/orders?status=cancelled')).json).toEqual({ items: [], nextCursor: null });
  });

  it('walks every mailbox exactly once, newest first, leaving out the addresses still waiting for a transfer', async () => {
    const walked = await walk(lists(), '/mailboxes', 2);

    // A mailbox is listed by when its order was placed (the address reserved).
    const cardOrders = [placed[0], placed[2], placed[3], placed[5], placed[6]].flatMap((order) =>
      order ? [order] : [],
    );
    expect(walked.map((mailbox) => mailbox.address)).toEqual(
      newestFirst(cardOrders, (order) => `${order.createdAt}#${order.address}`).map((order) => order.address),
    );
    expect(walked.every((mailbox) => mailbox.status === 'active')).toBe(true);
    expect(walked[0]).toEqual((await lists().get(`/mailboxes/${encodeURIComponent(walked[0].address)}`)).json);
    expect((await walk(lists(), '/mailboxes?status=active', 4)).map((mailbox) => mailbox.address)).toEqual(
      walked.map((mailbox) => mailbox.address),
    );
    expect((await lists().get('/mailboxes?status=suspended')).json).toEqual({ items: [], nextCursor: null });
  });

  it('lists the mailboxes expiring before a time, latest expiry first', async () => {
    const inThirteenMonths = new Date(Date.now() + 395 * DAY).toISOString();
    const inThreeYears = new Date(Date.now() + 3 * 365 * DAY).toISOString();

    const soon = await walk(lists(), `/mailboxes?expiresBefore=${inThirteenMonths}`, 2);
    const all = await walk(lists(), `/mailboxes?status=active&expiresBefore=${encodeURIComponent(inThreeYears)}`, 3);

    expect(soon).toHaveLength(4);
    expect(soon.map((mailbox) => mailbox.address)).not.toContain(placed[2]?.address); // the two-year one
    expect(all).toHaveLength(5);
    expect(all[0].address).toBe(placed[2]?.address);
    const expiries = all.map((mailbox) => mailbox.expiresAt);
    expect(expiries).toEqual([...expiries].sort().reverse());
    expect((await lists().get(`/mailboxes?expiresBefore=${new Date().toISOString()}`)).json.items).toEqual([]);
  });

  it("shows each storefront only its own, and refuses one storefront's cursor to another", async () => {
    const first = await lists().get('/orders?limit=1');
    const theirs = await other().get(`/orders?limit=1&cursor=${encodeURIComponent(first.json.nextCursor)}`);

    expect(theirs.status).toBe(400);
    expect(theirs.json.errors).toEqual([expect.objectContaining({ path: 'cursor' })]);
    const otherOrders = await walk(other(), '/orders', 100);
    const otherMailboxes = await walk(other(), '/mailboxes', 100);
    for (const { orderId, address } of placed) {
      expect(otherOrders.map((order) => order.orderId)).not.toContain(orderId);
      expect(otherMailboxes.map((mailbox) => mailbox.address)).not.toContain(address);
    }
  });

  it.each([
    ['/orders?limit=0', 'limit'],
    ['/orders?limit=101', 'limit'],
    ['/orders?limit=ten', 'limit'],
    ['/orders?status=shipped', 'status'],
    ['/orders?cursor=garbled', 'cursor'],
    ['/mailboxes?status=reserved', 'status'],
    ['/mailboxes?expiresBefore=next-week', 'expiresBefore'],
    ['/mailboxes?expiresBefore=2026-07-01', 'expiresBefore'],
    ['/mailboxes?limit=-1', 'limit'],
    ['/mailboxes?cursor=e30', 'cursor'],
  ])('answers GET %s with a 400 naming %s', async (path, field) => {
    const response = await lists().get(path);

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.json).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(response.json.errors.map((error: { path: string }) => error.path)).toEqual([field]);
  });

  it('refuses a cursor with other filters than the list it came from', async () => {
    const first = await lists().get('/mailboxes?limit=1');
    const cursor = encodeURIComponent(first.json.nextCursor);

    const filtered = await lists().get(`/mailboxes?status=active&limit=1&cursor=${cursor}`);
    const same = await lists().get(`/mailboxes?limit=1&cursor=${cursor}`);

    expect(filtered.status).toBe(400);
    expect(filtered.json.errors[0].path).toBe('cursor');
    expect(same.status).toBe(200);
    expect(same.json.items[0].address).not.toBe(first.json.items[0].address);
  });

  it('needs the storefront key', async () => {
    expect((await lists().get('/orders', { apiKey: null })).status).toBe(401);
    expect((await lists().get('/mailboxes', { apiKey: 'sk_local_nobody' })).status).toBe(401);
  });
});
