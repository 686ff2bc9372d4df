import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoAttentionIndex, dynamoOrderRepository } from '../../../functions/adapters/dynamodb/order-repository.ts';
import type { Order, Refund } from '../../../functions/domain/order.ts';
import type { AttentionIndex, OrderRepository } from '../../../functions/use-cases/ports.ts';
import { storedOrder } from '../../support/fixtures.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

/*
 * The attention index (`byAttention`) on the local DynamoDB: each order's own writes move the moment
 * it needs a person, and "what needs a person at t" is the one query of the index up to t.
 */

let table: LocalTable;
let orders: OrderRepository;
let index: AttentionIndex;

beforeAll(async () => {
  table = await startLocalTable();
  orders = dynamoOrderRepository(table);
  index = dynamoAttentionIndex(table);
});
afterAll(() => table?.stop());

const placedAt = new Date('2025-03-15T09:30:00.000Z');
const minutes = (at: Date | string, n: number) => new Date(new Date(at).getTime() + n * 60_000);

/** Whether the order is listed as needing a person at `at`, and since when. */
async function dueAt(orderId: string, at: Date): Promise<string | undefined> {
  const found: { order: Order; since: string }[] = [];
  let after: { at: string; id: string } | undefined;
  do {
    const page = await index.due(at, { limit: 100, ...(after ? { after } : {}) });
    found.push(...page.items);
    after = page.next;
  } while (after);
  return found.find((item) => item.order.orderId === orderId)?.since;
}

async function placed(overrides: Partial<Order> = {}) {
  const order = storedOrder(overrides, placedAt);
  await orders.create(order);
  return order;
}

const refund = (recordedAt: Date): Refund => ({
  status: 'required',
  chargeId: 'ch_1',
  amountCents: 610,
  currency: 'EUR',
  reason: 'order failed: ProvisioningImpossibleError',
  recordedAt: recordedAt.toISOString(),
});

describe('attention index: an order waiting for its payment', () => {
  it('a transfer order needs a person 15 minutes after its payment deadline, not before', async () => {
    const order = await placed({ paymentDeadline: minutes(placedAt, 60).toISOString() });
    const deadline = minutes(placedAt, 75);
    expect(await dueAt(order.orderId, minutes(deadline, -1))).toBeUndefined();
    expect(await dueAt(order.orderId, deadline)).toBe(deadline.toISOString());
  });

  it('a card order needs a person 2 hours after it was placed', async () => {
    const order = await placed({
      payment: { method: 'card', status: 'pending', reference: 'RF00X', token: 'tok_visa' },
    });
    expect(await dueAt(order.orderId, minutes(placedAt, 119))).toBeUndefined();
    expect(await dueAt(order.orderId, minutes(placedAt, 120))).toBe(minutes(placedAt, 120).toISOString());
  });
});

describe('attention index: activation, completion, closing', () => {
  it('a paid order must be active within 10 minutes; completed and settled, it leaves the index', async () => {
    const order = await placed();
    const paidAt = minutes(placedAt, 5);
    expect(await orders.markPaid(order.orderId, paidAt)).toBe(true);
    expect(await dueAt(order.orderId, minutes(paidAt, 9))).toBeUndefined();
    expect(await dueAt(order.orderId, minutes(paidAt, 10))).toBe(minutes(paidAt, 10).toISOString());

    const completedAt = minutes(paidAt, 1);
    expect(await orders.markCompleted(order.orderId, completedAt)).toBe(true);
    // Completed, its record not filed yet: a person looks if that does not happen within 15 minutes.
    expect(await dueAt(order.orderId, minutes(completedAt, 14))).toBeUndefined();
    expect(await dueAt(order.orderId, minutes(completedAt, 15))).toBe(minutes(completedAt, 15).toISOString());
    await orders.settleAttention(order.orderId);
    expect(await dueAt(order.orderId, minutes(completedAt, 60 * 24 * 365))).toBeUndefined();
  });

  it('PEC on the holder domain has 48 hours from its payment', async () => {
    const order = await placed({ mailbox: { address: 'info@ditta-rossi.it', type: 'standard', domainPec: true } });
    const paidAt = minutes(placedAt, 5);
    await orders.markPaid(order.orderId, paidAt);
    expect(await dueAt(order.orderId, minutes(paidAt, 48 * 60 - 1))).toBeUndefined();
    expect(await dueAt(order.orderId, minutes(paidAt, 48 * 60))).toBe(minutes(paidAt, 48 * 60).toISOString());
  });

  it('settling an order still open changes nothing', async () => {
    const order = await placed({ paymentDeadline: minutes(placedAt, 60).toISOString() });
    await orders.settleAttention(order.orderId);
    expect(await dueAt(order.orderId, minutes(placedAt, 75))).toBe(minutes(placedAt, 75).toISOString());
  });

  it('a closed order with a refund to make by hand needs a person at once, until it is refunded', async () => {
    const order = await placed();
    const paidAt = minutes(placedAt, 5);
    await orders.markPaid(order.orderId, paidAt);
    const closedAt = minutes(paidAt, 2);
    expect(await orders.close(order.orderId, 'failed', 'ProvisioningImpossibleError', closedAt)).toBeDefined();
    expect(await dueAt(order.orderId, minutes(closedAt, 15))).toBe(minutes(closedAt, 15).toISOString());

    const recordedAt = minutes(closedAt, 1);
    expect(await orders.recordRefund(order.orderId, refund(recordedAt))).toBe(true);
    // A refund to make is not settled by the closing's end.
    await orders.settleAttention(order.orderId);
    expect(await dueAt(order.orderId, recordedAt)).toBe(recordedAt.toISOString());
    const listed = await index.due(recordedAt, { limit: 100 });
    expect(listed.items.find((item) => item.order.orderId === order.orderId)?.order).toMatchObject({
      status: 'failed',
      payment: { status: 'refund_required' },
    });

    const refundedAt = minutes(recordedAt, 30);
    expect(
      await orders.markRefunded(order.orderId, {
        ...refund(recordedAt),
        status: 'refunded',
        refundId: 'TRN-1',
        refundedAt: refundedAt.toISOString(),
      }),
    ).toBe(true);
    expect(await dueAt(order.orderId, minutes(refundedAt, 60))).toBeUndefined();
  });

  it('a refund the provider makes itself is due an hour after it was recorded', async () => {
    const order = await placed();
    await orders.markPaid(order.orderId, placedAt);
    await orders.close(order.orderId, 'cancelled', 'States.Timeout', placedAt);
    await orders.recordRefund(order.orderId, refund(placedAt), minutes(placedAt, 60).toISOString());
    await orders.settleAttention(order.orderId);
    expect(await dueAt(order.orderId, minutes(placedAt, 59))).toBeUndefined();
    expect(await dueAt(order.orderId, minutes(placedAt, 60))).toBe(minutes(placedAt, 60).toISOString());
  });
});

describe('attention index: pages', () => {
  it('lists the due orders oldest first, a page at a time, each order once', async () => {
    const at = new Date('2030-01-01T00:00:00.000Z');
    const all: string[] = [];
    let after: { at: string; id: string } | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await index.due(at, { limit: 2, ...(after ? { after } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      all.push(...page.items.map((item) => `${item.since}#${item.order.orderId}`));
      after = page.next;
      if (!after) break;
    }
    expect(all.length).toBeGreaterThan(2);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual(all);
  });
});
