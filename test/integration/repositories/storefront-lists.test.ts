import { PutCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dynamoMailboxRepository,
  mailboxItem,
  mailboxKey,
} from '../../../functions/adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository, orderKey } from '../../../functions/adapters/dynamodb/order-repository.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import type { Order } from '../../../functions/domain/order.ts';
import type { ListPage, ListPosition, MailboxRepository, OrderRepository } from '../../../functions/use-cases/ports.ts';
import { storedMailbox, storedOrder } from '../../support/fixtures.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

let table: LocalTable;
let orders: OrderRepository;
let mailboxes: MailboxRepository;
/** Items each Query read (its ScannedCount), in the order sent. */
const scanned: number[] = [];

beforeAll(async () => {
  table = await startLocalTable();
  orders = dynamoOrderRepository(table);
  mailboxes = dynamoMailboxRepository(table);
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'QueryCommand') scanned.push((result.output as QueryCommandOutput).ScannedCount ?? 0);
      return result;
    },
    { step: 'initialize', name: 'countScanned' },
  );
});
afterAll(() => table?.stop());

let counter = 0;
/** A storefront of its own for each test: the table is shared, the lists are not. */
const newStorefront = () => `storefront-lists-${++counter}`;
const at = (minutes: number) => new Date(Date.UTC(2025, 2, 15, 9, 30) + minutes * 60_000).toISOString();

const order = (storefrontId: string, minutes: number, overrides: Partial<Order> = {}): Order =>
  storedOrder({ storefrontId, createdAt: at(minutes), ...overrides });

const mailbox = (storefrontId: string, minutes: number, overrides: Partial<Mailbox> = {}): Mailbox =>
  storedMailbox(storefrontId, new Date(at(minutes)), overrides);

/** Stores mailboxes as they are, keys and all (as the bench loads them). */
const putMailboxes = (...boxes: Mailbox[]) =>
  Promise.all(
    boxes.map((box) => table.documents.send(new PutCommand({ TableName: table.tableName, Item: mailboxItem(box) }))),
  );

/** Every page of a list, `limit` at a time; every page but the last is full. */
async function walk<T>(limit: number, list: (after?: ListPosition) => Promise<ListPage<T>>): Promise<T[]> {
  const all: T[] = [];
  let after: ListPosition | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await list(after);
    all.push(...page.items);
    if (!page.next) return all;
    expect(page.items).toHaveLength(limit);
    after = page.next;
  }
  throw new Error('the list never ended');
}

const listKeys = (item: Record<string, unknown> | undefined) => ({
  gsi2pk: item?.gsi2pk,
  gsi2sk: item?.gsi2sk,
  gsi3pk: item?.gsi3pk,
  gsi3sk: item?.gsi3sk,
});

describe('order index keys, kept by every status change', () => {
  const indexed = async (orderId: string) => listKeys(await table.item(orderKey(orderId)));

  it.each([
    ['a new order', [], 'pending_payment'],
    ['a paid order', ['pay'], 'activating'],
    ['a completed order', ['pay', 'complete'], 'completed'],
    ['an order failed while waiting', ['fail'], 'failed'],
    ['an order cancelled once paid', ['pay', 'cancel'], 'cancelled'],
    ['a declined payment (the status stays)', ['decline'], 'pending_payment'],
    ['a waiting order with its task token (the status stays)', ['token'], 'pending_payment'],
    ['a refund on a failed order (the status stays)', ['pay', 'fail', 'refund'], 'failed'],
    ['a refused move (complete before payment)', ['complete'], 'pending_payment'],
  ] as const)('%s is in the list of its status: %s', async (_name, steps, status) => {
    const storefrontId = newStorefront();
    const stored = order(storefrontId, 0);
    await orders.create(stored);
    const { orderId } = stored;
    const now = new Date(at(5));
    for (const step of steps) {
      if (step === 'pay') await orders.markPaid(orderId, now);
      if (step === 'complete') await orders.markCompleted(orderId, now);
      if (step === 'fail') await orders.close(orderId, 'failed', 'test', now);
      if (step === 'cancel') await orders.close(orderId, 'cancelled', 'test', now);
      if (step === 'decline') await orders.markPaymentFailed(orderId);
      if (step === 'token') await orders.saveTaskToken(orderId, 'token');
      if (step === 'refund') {
        await orders.recordRefund(orderId, {
          status: 'required',
          chargeId: 'ch_1',
          amountCents: 610,
          currency: 'EUR',
          reason: 'test',
          recordedAt: now.toISOString(),
        });
      }
    }

    expect((await orders.get(orderId))?.status).toBe(status);
    expect(await indexed(orderId)).toEqual({
      gsi2pk: `STOREFRONT#${storefrontId}#ORDER`,
      gsi2sk: `${stored.createdAt}#${orderId}`,
      gsi3pk: `STOREFRONT#${storefrontId}#ORDER#${status}`,
      gsi3sk: undefined,
    });
    const inStatus = await orders.listByStorefront(storefrontId, { status, limit: 10 });
    expect(inStatus.items.map((each) => each.orderId)).toEqual([orderId]);
    expect(inStatus.items[0]?.status).toBe(status);
    for (const other of ['pending_payment', 'activating', 'completed', 'failed', 'cancelled'] as const) {
      if (other === status) continue;
      expect((await orders.listByStorefront(storefrontId, { status: other, limit: 10 })).items).toEqual([]);
    }
  });

  it('leaves the index keys out of the order it reads back', async () => {
    const stored = order(newStorefront(), 0);
    await orders.create(stored);

    const [listed] = (await orders.listByStorefront(stored.storefrontId, { limit: 1 })).items;
    expect(listed).toEqual(stored);
    expect(await orders.get(stored.orderId)).toEqual(stored);
  });
});

describe('mailbox index keys: none for a reservation, kept by every status change', () => {
  const indexed = async (address: string) => listKeys(await table.item(mailboxKey(address)));
  const reservation = (storefrontId: string, orderId = 'ORDERRESERVE'): Mailbox =>
    mailbox(storefrontId, 0, {
      status: 'reserved',
      orderId,
      holdUntil: at(60),
      activatedAt: undefined,
      expiresAt: undefined,
    });
  const listed = async (storefrontId: string, status?: Mailbox['status'] & string) =>
    (
      await mailboxes.listByStorefront(storefrontId, {
        ...(status && status !== 'reserved' ? { status } : {}),
        limit: 10,
      })
    ).items.map((each) => `${each.address} ${each.status}`);

  it('keeps a reservation out of every list, then lists it from its activation to its deletion', async () => {
    const storefrontId = newStorefront();
    const held = reservation(storefrontId);
    const { address, orderId } = held;
    const storefrontPk = `STOREFRONT#${storefrontId}#MAILBOX`;
    const sortKey = `${held.orderedAt}#${address}`;
    const expiresAt = at(365 * 24 * 60);

    expect(await mailboxes.reserve(held, new Date(at(0)))).toBe(true);
    expect(await indexed(address)).toEqual({ gsi2sk: sortKey });
    expect(await listed(storefrontId)).toEqual([]);

    expect(await mailboxes.activate(address, orderId, { activatedAt: at(1), expiresAt, autoRenew: false })).toBe(true);
    expect(await indexed(address)).toEqual({
      gsi2pk: storefrontPk,
      gsi2sk: sortKey,
      gsi3pk: `${storefrontPk}#active`,
      gsi3sk: `${expiresAt}#${address}`,
    });
    expect(await listed(storefrontId, 'active')).toEqual([`${address} active`]);

    const renewedTo = at(2 * 365 * 24 * 60);
    expect(await mailboxes.extend(address, 'RENEWAL1', { previousExpiresAt: expiresAt, expiresAt: renewedTo })).toBe(
      'extended',
    );
    expect(await indexed(address)).toMatchObject({
      gsi3pk: `${storefrontPk}#active`,
      gsi3sk: `${renewedTo}#${address}`,
    });

    expect(await mailboxes.suspend(address, renewedTo)).toBe(true);
    expect(await indexed(address)).toMatchObject({
      gsi3pk: `${storefrontPk}#suspended`,
      gsi3sk: `${renewedTo}#${address}`,
    });
    expect(await listed(storefrontId, 'suspended')).toEqual([`${address} suspended`]);
    expect(await listed(storefrontId, 'active')).toEqual([]);

    expect(await mailboxes.extend(address, 'RENEWAL2', { previousExpiresAt: renewedTo, expiresAt: at(10) })).toBe(
      'extended',
    );
    expect(await indexed(address)).toMatchObject({ gsi3pk: `${storefrontPk}#active`, gsi3sk: `${at(10)}#${address}` });
    expect(await mailboxes.suspend(address, at(10))).toBe(true);

    expect(await mailboxes.markDeleted(address, at(10))).toBe(true);
    expect(await indexed(address)).toEqual({
      gsi2pk: storefrontPk,
      gsi2sk: sortKey,
      gsi3pk: `${storefrontPk}#deleted`,
      gsi3sk: `${at(10)}#${address}`,
    });
    expect(await listed(storefrontId)).toEqual([`${address} deleted`]);

    // The address ordered again, by another storefront: a reservation again, in nobody's list.
    const other = newStorefront();
    expect(await mailboxes.reserve({ ...reservation(other, 'ORDERAGAIN'), address }, new Date(at(20)))).toBe(true);
    expect(await listed(storefrontId)).toEqual([]);
    expect(await listed(other)).toEqual([]);
    expect((await indexed(address)).gsi2pk).toBeUndefined();
  });

  it('lists an own-domain mailbox while it waits for its DNS, and forgets it once released', async () => {
    const storefrontId = newStorefront();
    const held = reservation(storefrontId);

    await mailboxes.reserve(held, new Date(at(0)));
    expect(await mailboxes.markActivating(held.address, held.orderId)).toBe(true);
    expect(await mailboxes.markActivating(held.address, held.orderId)).toBe(true);

    expect(await indexed(held.address)).toEqual({
      gsi2pk: `STOREFRONT#${storefrontId}#MAILBOX`,
      gsi2sk: `${held.orderedAt}#${held.address}`,
      gsi3pk: `STOREFRONT#${storefrontId}#MAILBOX#activating`,
      gsi3sk: undefined,
    });
    expect(await listed(storefrontId, 'activating')).toEqual([`${held.address} activating`]);

    await mailboxes.release(held.address, held.orderId);
    expect(await listed(storefrontId)).toEqual([]);
  });

  it('changes no index key when a move is refused (another order, a stale expiry)', async () => {
    const storefrontId = newStorefront();
    const held = reservation(storefrontId);
    await mailboxes.reserve(held, new Date(at(0)));

    expect(
      await mailboxes.activate(held.address, 'SOMEONEELSE1', {
        activatedAt: at(1),
        expiresAt: at(9),
        autoRenew: false,
      }),
    ).toBe(false);
    expect(await mailboxes.markActivating(held.address, 'SOMEONEELSE1')).toBe(false);
    expect(await mailboxes.suspend(held.address, at(9))).toBe(false);
    expect(
      await mailboxes.activate('nobody@pec.it', held.orderId, {
        activatedAt: at(1),
        expiresAt: at(9),
        autoRenew: false,
      }),
    ).toBe(false);

    expect(await indexed(held.address)).toEqual({ gsi2sk: `${held.orderedAt}#${held.address}` });
  });

  it('leaves the index keys out of the mailbox it reads back', async () => {
    const box = mailbox(newStorefront(), 0);
    await putMailboxes(box);

    expect((await mailboxes.listByStorefront(box.storefrontId, { limit: 5 })).items).toEqual([box]);
    expect(await mailboxes.get(box.address)).toEqual(box);
  });
});

describe("a storefront's lists", () => {
  it('lists orders newest first, one storefront only, every order exactly once across pages', async () => {
    const mine = newStorefront();
    const theirs = newStorefront();
    const created = Array.from({ length: 7 }, (_, minute) => order(mine, minute));
    await Promise.all([...created, order(theirs, 3), order(theirs, 10)].map((each) => orders.create(each)));

    const walked = await walk(3, (after) => orders.listByStorefront(mine, { limit: 3, ...(after ? { after } : {}) }));

    expect(walked.map((each) => each.orderId)).toEqual(created.map((each) => each.orderId).reverse());
  });

  it('walks one status of orders page by page', async () => {
    const mine = newStorefront();
    const waiting = [0, 1, 2, 3, 4].map((minute) => order(mine, minute));
    const done = [5, 6].map((minute) => order(mine, minute, { status: 'completed' }));
    await Promise.all([...waiting, ...done].map((each) => orders.create(each)));

    const walked = await walk(2, (after) =>
      orders.listByStorefront(mine, { status: 'pending_payment', limit: 2, ...(after ? { after } : {}) }),
    );

    expect(walked.map((each) => each.orderId)).toEqual(waiting.map((each) => each.orderId).reverse());
  });

  it('lists mailboxes newest first by when they were ordered, with no reservation and no short page', async () => {
    const mine = newStorefront();
    const boxes = [0, 1, 2, 3, 4, 5].map((minute) => mailbox(mine, minute * 2));
    // Reservations between them, and another storefront's mailboxes.
    const held = [1, 3, 5].map((minute) =>
      mailbox(mine, minute, { status: 'reserved', activatedAt: undefined, expiresAt: undefined }),
    );
    await putMailboxes(...boxes, ...held, mailbox(newStorefront(), 3));

    const walked = await walk(2, (after) =>
      mailboxes.listByStorefront(mine, { limit: 2, ...(after ? { after } : {}) }),
    );

    expect(walked.map((each) => each.address)).toEqual(boxes.map((each) => each.address).reverse());
  });

  it('lists the mailboxes expiring before a time, latest expiry first, across statuses and pages', async () => {
    const mine = newStorefront();
    const day = 24 * 60;
    const expiring = (days: number, status: Mailbox['status']) =>
      mailbox(mine, -400 * day, { status, expiresAt: at(days * day) });
    const boxes = [
      expiring(-200, 'deleted'),
      expiring(-30, 'suspended'),
      expiring(-5, 'suspended'),
      expiring(10, 'active'),
      expiring(20, 'active'),
      expiring(40, 'active'),
      expiring(60, 'active'), // not before the bound
    ];
    await putMailboxes(
      ...boxes,
      mailbox(mine, 0, { status: 'activating', activatedAt: undefined, expiresAt: undefined }),
    );
    const before = at(50 * day);

    const walked = await walk(2, (after) =>
      mailboxes.listByStorefront(mine, { expiresBefore: before, limit: 2, ...(after ? { after } : {}) }),
    );
    const active = await walk(2, (after) =>
      mailboxes.listByStorefront(mine, {
        status: 'active',
        expiresBefore: before,
        limit: 2,
        ...(after ? { after } : {}),
      }),
    );

    expect(walked.map((each) => each.expiresAt)).toEqual(
      boxes
        .slice(0, 6)
        .map((each) => each.expiresAt)
        .reverse(),
    );
    expect(active.map((each) => each.expiresAt)).toEqual(
      boxes
        .slice(3, 6)
        .map((each) => each.expiresAt)
        .reverse(),
    );
  });

  it('never goes past expiresBefore, whatever position it is asked to start from', async () => {
    const mine = newStorefront();
    const late = mailbox(mine, 0, { expiresAt: at(1000) });
    const early = mailbox(mine, 0, { expiresAt: at(10) });
    await putMailboxes(late, early);

    const page = await mailboxes.listByStorefront(mine, {
      expiresBefore: at(500),
      limit: 5,
      after: { at: at(5000), id: 'zzz' },
    });

    expect(page.items.map((each) => each.address)).toEqual([early.address]);
  });

  it('reads at most one item past the page from each partition, however many the table holds', async () => {
    const mine = newStorefront();
    const crowd = Array.from({ length: 40 }, (_, minute) => mailbox(newStorefront(), minute));
    const own = Array.from({ length: 30 }, (_, minute) =>
      mailbox(mine, minute, { status: minute % 3 === 0 ? 'suspended' : 'active', expiresAt: at(minute) }),
    );
    await putMailboxes(...crowd, ...own);

    const read = async (query: Parameters<MailboxRepository['listByStorefront']>[1]) => {
      scanned.length = 0;
      const page = await mailboxes.listByStorefront(mine, query);
      return { items: page.items.length, read: scanned.reduce((sum, each) => sum + each, 0), queries: scanned.length };
    };

    expect(await read({ limit: 5 })).toEqual({ items: 5, read: 6, queries: 1 });
    expect(await read({ status: 'active', limit: 5 })).toEqual({ items: 5, read: 6, queries: 1 });
    expect(await read({ status: 'active', expiresBefore: at(100), limit: 5 })).toEqual({
      items: 5,
      read: 6,
      queries: 1,
    });
    // One partition per status: each read at most a page and one.
    const merged = await read({ expiresBefore: at(100), limit: 5 });
    expect(merged.items).toBe(5);
    expect(merged.read).toBeLessThanOrEqual(4 * 6);
  });
});
