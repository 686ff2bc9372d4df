import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoMailboxRepository, mailboxKey } from '../../../functions/adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository, orderKey } from '../../../functions/adapters/dynamodb/order-repository.ts';
import {
  MAILBOX_STATUSES,
  type MailboxEvent,
  type MailboxState,
  mailboxLifecycle,
  ORDER_STATUSES,
  type OrderEvent,
  type OrderStatus,
  orderLifecycle,
  PAYMENT_STATUSES,
  type PaymentEvent,
  type PaymentStatus,
  paymentLifecycle,
} from '../../../functions/domain/lifecycles.ts';
import type { MailboxRepository, OrderRepository } from '../../../functions/use-cases/ports.ts';
import { freshAddress, storedOrder } from '../../support/fixtures.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

/*
 * The repositories against the lifecycle tables: every write that moves a status is tried from
 * every status, and must succeed exactly where the table allows its event, leaving the status the
 * table names. Whatever else a write checks (the order holding the address, the expiry it renews)
 * is given as the write wants it, so only the status decides.
 */

let table: LocalTable;
let orders: OrderRepository;
let mailboxes: MailboxRepository;

beforeAll(async () => {
  table = await startLocalTable();
  orders = dynamoOrderRepository(table);
  mailboxes = dynamoMailboxRepository(table);
});
afterAll(() => table?.stop());

const now = new Date('2025-03-15T09:30:00.000Z');
const refund = {
  status: 'required' as const,
  chargeId: 'ch_1',
  amountCents: 610,
  currency: 'EUR' as const,
  reason: 'test',
  recordedAt: now.toISOString(),
};

/** Each order write, by the events it applies to the order and (for some) to its payment. */
const ORDER_WRITES: [string, OrderEvent, PaymentEvent | undefined, (id: string) => Promise<unknown>][] = [
  ['markPaid', 'pay', 'pay', (id) => orders.markPaid(id, now, 'ch_1')],
  ['markPaymentFailed', 'decline', 'decline', (id) => orders.markPaymentFailed(id)],
  ['saveTaskToken', 'await_payment', undefined, (id) => orders.saveTaskToken(id, 'token')],
  ['startDnsCheck', 'await_dns', undefined, (id) => orders.startDnsCheck(id)],
  ['saveDnsTaskToken', 'await_dns', undefined, async (id) => (await orders.saveDnsTaskToken(id, 't')) === 'saved'],
  ['requestDnsCheck', 'await_dns', undefined, (id) => orders.requestDnsCheck(id)],
  ['markCompleted', 'complete', undefined, (id) => orders.markCompleted(id, now)],
  ['close failed', 'fail', undefined, (id) => orders.close(id, 'failed', 'test', now)],
  ['close cancelled', 'cancel', undefined, (id) => orders.close(id, 'cancelled', 'test', now)],
  ['close failed, payment declined', 'fail', 'decline', (id) => orders.close(id, 'failed', 'test', now, true)],
  ['recordRefund', 'refund', 'refund', (id) => orders.recordRefund(id, refund)],
  [
    'cancelWaiting',
    'storefront_cancel',
    'storefront_cancel',
    (id) => orders.cancelWaiting(id, 'cancelled_by_storefront', now),
  ],
];

const orderCases = ORDER_WRITES.flatMap(([write, event, paymentEvent, run]) =>
  ORDER_STATUSES.flatMap((status) =>
    PAYMENT_STATUSES.map((paymentStatus) => ({ write, event, paymentEvent, run, status, paymentStatus })),
  ),
);

describe('the order repository follows the order and payment lifecycles', () => {
  it.each(orderCases)('$write from $status / payment $paymentStatus', async (testCase) => {
    const { event, paymentEvent, run, status, paymentStatus } = testCase;
    const order = storedOrder({ status: status as OrderStatus });
    order.payment = { ...order.payment, status: paymentStatus as PaymentStatus };
    await orders.create(order);

    const allowed =
      orderLifecycle.canMove(status, event) &&
      (paymentEvent === undefined || paymentLifecycle.canMove(paymentStatus, paymentEvent));
    const result = await run(order.orderId);
    expect(result !== false && result !== undefined).toBe(allowed);

    const stored = await orders.get(order.orderId);
    expect(stored?.status).toBe(allowed ? orderLifecycle.next(status, event) : status);
    expect(stored?.payment.status).toBe(
      allowed && paymentEvent ? paymentLifecycle.next(paymentStatus, paymentEvent) : paymentStatus,
    );
    // Listed under the status it has now (GET /orders?status=).
    expect((await table.item(orderKey(order.orderId)))?.gsi3pk).toBe(
      `STOREFRONT#${order.storefrontId}#ORDER#${stored?.status}`,
    );
  });
});

const ORDER_ID = 'LIFECYCLE0RD';
const STOREFRONT_ID = 'storefront-1';
const EXPIRES_AT = '2026-03-16T10:00:00.000Z';

/** Each mailbox write, given everything but its status as it wants it. */
const MAILBOX_WRITES: [MailboxEvent, (address: string) => Promise<unknown>][] = [
  [
    'reserve',
    (address) =>
      mailboxes.reserve(
        {
          address,
          status: 'reserved',
          storefrontId: STOREFRONT_ID,
          orderId: ORDER_ID,
          orderedAt: '2025-03-15T09:30:00.000Z',
          holdUntil: '2025-03-16T09:30:00.000Z',
          type: 'standard',
          domainPec: false,
          holderEmail: 'mario.rossi@example.com',
          autoRenew: false,
          passwordSet: false,
        },
        now,
      ),
  ],
  ['release', (address) => mailboxes.release(address, ORDER_ID)],
  ['await_dns', (address) => mailboxes.markActivating(address, ORDER_ID)],
  [
    'activate',
    (address) =>
      mailboxes.activate(address, ORDER_ID, {
        activatedAt: now.toISOString(),
        expiresAt: EXPIRES_AT,
        autoRenew: false,
      }),
  ],
  [
    'renew',
    async (address) =>
      (await mailboxes.extend(address, 'RENEWAL0RDER', {
        previousExpiresAt: EXPIRES_AT,
        expiresAt: '2027-03-16T10:00:00.000Z',
      })) === 'extended',
  ],
  ['set_auto_renew', (address) => mailboxes.setAutoRenew(address, false, STOREFRONT_ID)],
  ['suspend', (address) => mailboxes.suspend(address, EXPIRES_AT)],
  ['delete', (address) => mailboxes.markDeleted(address, EXPIRES_AT)],
];

const STATES: MailboxState[] = ['absent', ...MAILBOX_STATUSES];
const mailboxCases = MAILBOX_WRITES.flatMap(([event, run]) => STATES.map((state) => ({ event, run, state })));

async function storeMailbox(address: string, state: MailboxState) {
  if (state === 'absent') return;
  await table.documents.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...mailboxKey(address),
        address,
        status: state,
        storefrontId: STOREFRONT_ID,
        orderId: ORDER_ID,
        orderedAt: '2025-03-15T09:30:00.000Z',
        holdUntil: '2025-03-16T09:30:00.000Z',
        type: 'standard',
        domainPec: false,
        holderEmail: 'mario.rossi@example.com',
        expiresAt: EXPIRES_AT,
        autoRenew: false,
        passwordSet: false,
      },
    }),
  );
}

describe('the mailbox repository follows the mailbox lifecycle', () => {
  it.each(mailboxCases)('$event from $state', async ({ event, run, state }) => {
    const address = freshAddress();
    await storeMailbox(address, state);

    const allowed = mailboxLifecycle.canMove(state, event);
    const result = await run(address);
    const stored = await mailboxes.get(address);
    // A release answers nothing: that it happened is seen in the table.
    if (event !== 'release') expect(result !== false && result !== undefined).toBe(allowed);
    expect(stored?.status ?? 'absent').toBe(allowed ? mailboxLifecycle.next(state, event) : state);
    // A status write lists the mailbox under its new status (GET /mailboxes?status=); a reservation is
    // in no list. The items start unlisted, so a refused write leaves them so.
    const listedUnder = (await table.item(mailboxKey(address)))?.gsi3pk;
    if (allowed && event !== 'set_auto_renew' && stored && stored.status !== 'reserved') {
      expect(listedUnder).toBe(`STOREFRONT#${STOREFRONT_ID}#MAILBOX#${stored.status}`);
    } else {
      expect(listedUnder).toBeUndefined();
    }
  });
});
