import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import type { Order } from '../../../functions/domain/order.ts';
import {
  ListMailboxesQuerySchema,
  ListOrdersQuerySchema,
  PublicMailboxSchema,
  PublicOrderSchema,
  parseOrThrow,
} from '../../../functions/domain/schemas.ts';
import { listMailboxes, listOrders } from '../../../functions/use-cases/lists.ts';
import { InMemoryMailboxRepository, InMemoryOrderRepository } from '../../support/fakes.ts';
import { storedMailbox, storedOrder } from '../../support/fixtures.ts';

/* GET /orders and GET /mailboxes as use cases, on the in-memory repositories. */

const MINE = 'storefront-mine';
const THEIRS = 'storefront-theirs';
const at = (minutes: number) => new Date(Date.UTC(2025, 2, 15, 9, 30) + minutes * 60_000).toISOString();

const order = (storefrontId: string, minutes: number, overrides: Partial<Order> = {}): Order =>
  storedOrder({ storefrontId, createdAt: at(minutes), ...overrides });

const mailbox = (storefrontId: string, minutes: number, overrides: Partial<Mailbox> = {}): Mailbox =>
  storedMailbox(storefrontId, new Date(at(minutes)), overrides);

const ordersQuery = (query: Record<string, string> = {}) => parseOrThrow(ListOrdersQuerySchema, query);
const mailboxesQuery = (query: Record<string, string> = {}) => parseOrThrow(ListMailboxesQuerySchema, query);

/** The field errors a call throws, or `[]` when it succeeds. */
async function fieldErrors(call: () => unknown) {
  try {
    await call();
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.errors.map((each) => each.path);
  }
}

/** Every page of a list, following nextCursor from the first page; every page but the last is full. */
async function walk<T>(
  limit: number,
  page: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const { items, nextCursor } = await page(cursor);
    all.push(...items);
    if (nextCursor === null) return all;
    expect(items).toHaveLength(limit);
    cursor = nextCursor;
  }
  throw new Error('the list never ended');
}

describe('listOrders', () => {
  const mine = [0, 1, 2, 3, 4].map((minute) => order(MINE, minute));
  const repository = () => new InMemoryOrderRepository().seed(...mine, order(THEIRS, 2), order(THEIRS, 9));

  it("walks this storefront's orders newest first, each exactly once, as the contract shows them", async () => {
    const orders = repository();

    const walked = await walk(2, (cursor) =>
      listOrders(orders, MINE, ordersQuery({ limit: '2', ...(cursor ? { cursor } : {}) })),
    );

    expect(walked.map((each) => each.orderId)).toEqual(mine.map((each) => each.orderId).reverse());
    for (const shown of walked) expect(PublicOrderSchema.strict().parse(shown)).toEqual(shown);
  });

  it('answers an empty last page with no cursor, 20 items by default', async () => {
    const orders = new InMemoryOrderRepository().seed(...Array.from({ length: 25 }, (_, i) => order(MINE, i)));

    expect(await listOrders(orders, 'storefront-new', ordersQuery())).toEqual({ items: [], nextCursor: null });
    expect((await listOrders(orders, MINE, ordersQuery())).items).toHaveLength(20);
  });

  it('filters by status, the cursor keeping the filter', async () => {
    const orders = repository().seed(
      order(MINE, 10, { status: 'completed' }),
      order(MINE, 11, { status: 'completed' }),
    );

    const completed = await walk(1, (cursor) =>
      listOrders(orders, MINE, ordersQuery({ status: 'completed', limit: '1', ...(cursor ? { cursor } : {}) })),
    );

    expect(completed.map((each) => [each.createdAt, each.status])).toEqual([
      [at(11), 'completed'],
      [at(10), 'completed'],
    ]);
  });

  it("refuses another storefront's cursor, and never shows it the first storefront's orders", async () => {
    const orders = repository();
    const { nextCursor } = await listOrders(orders, MINE, ordersQuery({ limit: '1' }));

    expect(await fieldErrors(() => listOrders(orders, THEIRS, ordersQuery({ cursor: nextCursor as string })))).toEqual([
      'cursor',
    ]);
    const theirs = await listOrders(orders, THEIRS, ordersQuery());
    expect(theirs.items.map((each) => each.createdAt)).toEqual([at(9), at(2)]);
  });

  it('refuses a cursor of a list with other filters', async () => {
    const orders = repository();
    const { nextCursor } = await listOrders(orders, MINE, ordersQuery({ limit: '1' }));

    expect(
      await fieldErrors(() =>
        listOrders(orders, MINE, ordersQuery({ status: 'pending_payment', cursor: nextCursor as string })),
      ),
    ).toEqual(['cursor']);
  });

  it('keeps the storefront id out of the cursor', async () => {
    const { nextCursor } = await listOrders(repository(), MINE, ordersQuery({ limit: '1' }));

    expect(Buffer.from(nextCursor as string, 'base64url').toString()).not.toContain(MINE);
  });

  it.each([
    ['garbage', 'not-a-cursor!'],
    ['base64 of something else', Buffer.from('hello').toString('base64url')],
    ['JSON of another shape', Buffer.from(JSON.stringify({ at: at(1), id: 'X' })).toString('base64url')],
    ['a cursor with a bad position', 'BAD'],
    ['a cursor with padding added (decoded the same, not as written)', 'PADDED'],
  ])('refuses %s, naming cursor', async (_name, given) => {
    const orders = repository();
    const { nextCursor } = await listOrders(orders, MINE, ordersQuery({ limit: '1' }));
    const decoded = JSON.parse(Buffer.from(nextCursor as string, 'base64url').toString());
    const cursor =
      given === 'BAD'
        ? Buffer.from(JSON.stringify({ ...decoded, at: 'yesterday' })).toString('base64url')
        : given === 'PADDED'
          ? `${nextCursor}=`
          : given;

    expect(await fieldErrors(() => listOrders(orders, MINE, ordersQuery({ cursor })))).toEqual(['cursor']);
  });
});

describe('listMailboxes', () => {
  it('walks the mailboxes newest first by ordering time, reservations left out and no page short', async () => {
    const boxes = [0, 2, 4, 6, 8].map((minute) => mailbox(MINE, minute));
    const held = [1, 3, 5, 7].map((minute) =>
      mailbox(MINE, minute, { status: 'reserved', activatedAt: undefined, expiresAt: undefined }),
    );
    const mailboxes = new InMemoryMailboxRepository().seed(...boxes, ...held, mailbox(THEIRS, 3));

    const walked = await walk(2, (cursor) =>
      listMailboxes(mailboxes, MINE, mailboxesQuery({ limit: '2', ...(cursor ? { cursor } : {}) })),
    );

    expect(walked.map((each) => each.address)).toEqual(boxes.map((each) => each.address).reverse());
    for (const shown of walked) expect(PublicMailboxSchema.strict().parse(shown)).toEqual(shown);
  });

  it('keeps those expiring before a time, latest expiry first, with or without a status', async () => {
    const day = 24 * 60;
    const expiring = (days: number, status: Mailbox['status']) =>
      mailbox(MINE, -500 * day + days, { status, expiresAt: at(days * day) });
    const boxes = [
      expiring(-300, 'deleted'),
      expiring(-10, 'suspended'),
      expiring(5, 'active'),
      expiring(15, 'active'),
      expiring(45, 'active'),
    ];
    const mailboxes = new InMemoryMailboxRepository().seed(
      ...boxes,
      mailbox(MINE, 0, { status: 'activating', activatedAt: undefined, expiresAt: undefined }),
    );
    const expiresBefore = new Date(Date.parse(at(30 * day))).toISOString().replace('.000Z', '+00:00');

    const all = await walk(2, (cursor) =>
      listMailboxes(mailboxes, MINE, mailboxesQuery({ expiresBefore, limit: '2', ...(cursor ? { cursor } : {}) })),
    );
    const active = await listMailboxes(mailboxes, MINE, mailboxesQuery({ expiresBefore, status: 'active' }));

    expect(all.map((each) => each.expiresAt)).toEqual(
      boxes
        .slice(0, 4)
        .map((each) => each.expiresAt)
        .reverse(),
    );
    expect(active.items.map((each) => each.expiresAt)).toEqual([at(15 * day), at(5 * day)]);
  });

  it('refuses a cursor of a list with another expiry bound, or of another storefront', async () => {
    const mailboxes = new InMemoryMailboxRepository().seed(mailbox(MINE, 0), mailbox(MINE, 1));
    const query = { expiresBefore: '2030-01-01T00:00:00Z', limit: '1' };
    const { nextCursor } = await listMailboxes(mailboxes, MINE, mailboxesQuery(query));
    const cursor = nextCursor as string;

    expect(
      (await listMailboxes(mailboxes, MINE, mailboxesQuery({ ...query, cursor }))).items.map((each) => each.address),
    ).toHaveLength(1);
    expect(
      await fieldErrors(() =>
        listMailboxes(mailboxes, MINE, mailboxesQuery({ ...query, expiresBefore: '2031-01-01T00:00:00Z', cursor })),
      ),
    ).toEqual(['cursor']);
    expect(await fieldErrors(() => listMailboxes(mailboxes, THEIRS, mailboxesQuery({ ...query, cursor })))).toEqual([
      'cursor',
    ]);
  });
});

describe('the list query strings', () => {
  it('default limit to 20 and take it, status and expiresBefore as query strings give them', () => {
    expect(ordersQuery()).toEqual({ limit: 20 });
    expect(ordersQuery({ limit: '100', status: 'cancelled' })).toEqual({ limit: 100, status: 'cancelled' });
    expect(mailboxesQuery({ limit: '1', expiresBefore: '2026-07-01T02:00:00+02:00', status: 'suspended' })).toEqual({
      limit: 1,
      status: 'suspended',
      expiresBefore: '2026-07-01T00:00:00.000Z',
    });
  });

  it.each([
    [{ limit: '0' }, ['limit']],
    [{ limit: '101' }, ['limit']],
    [{ limit: '2.5' }, ['limit']],
    [{ limit: 'twenty' }, ['limit']],
    [{ status: 'shipped' }, ['status']],
    [{ status: 'reserved' }, ['status']],
    [{ expiresBefore: '2026-07-01' }, ['expiresBefore']],
    [{ expiresBefore: 'soon', limit: '0', status: 'lost' }, ['status', 'expiresBefore', 'limit']],
  ])('refuse %j, naming %j', async (query, paths) => {
    expect(await fieldErrors(() => mailboxesQuery(query))).toEqual(paths);
  });

  it('take every order status, and no mailbox status the API does not show', async () => {
    for (const status of ['pending_payment', 'activating', 'completed', 'cancelled', 'failed']) {
      expect(ordersQuery({ status }).status).toBe(status);
    }
    expect(await fieldErrors(() => ordersQuery({ status: 'active' }))).toEqual(['status']);
  });
});
