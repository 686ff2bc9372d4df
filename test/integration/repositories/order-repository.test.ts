import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Order } from '../../../functions/domain/order.ts';
import type { OrderRepository } from '../../../functions/use-cases/ports.ts';
import { storedOrder } from '../../support/fixtures.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

let table: LocalTable;
let orders: OrderRepository;
let orderKey: (orderId: string) => { pk: string; sk: string };

beforeAll(async () => {
  table = await startLocalTable();
  ({ dynamoOrderRepository: orders, orderKey } = await import(
    '../../../functions/adapters/dynamodb/order-repository.ts'
  ));
});
afterAll(() => table?.stop());

const now = new Date('2025-03-15T09:30:00.000Z');
const later = new Date('2025-03-15T09:31:00.000Z');

/** A new, unpaid order with an id of its own. */
const newOrder = (overrides: Partial<Order> = {}): Order => storedOrder(overrides, now);

/** A stored order, moved to `activating` by its payment. */
async function paidOrder(): Promise<Order> {
  const order = newOrder();
  await orders.create(order);
  await orders.markPaid(order.orderId, now);
  return order;
}

describe('DynamoDB order repository: create and get', () => {
  it('stores an order once and reads it back as it was', async () => {
    const order = newOrder();

    expect(await orders.create(order)).toBe('created');
    expect(await orders.create({ ...order, years: 5 })).toBe('exists');
    expect(await orders.get(order.orderId)).toEqual(order);
  });

  it('answers undefined for an unknown order', async () => {
    expect(await orders.get('0000000000ZZ')).toBeUndefined();
  });
});

describe('DynamoDB order repository: markPaid', () => {
  it('moves a pending order to activating, paid, once', async () => {
    const order = newOrder({ payment: { method: 'card', status: 'pending', reference: 'RF00X', token: 'tok_visa' } });
    await orders.create(order);

    expect(await orders.markPaid(order.orderId, later, 'ch_123')).toBe(true);
    expect(await orders.markPaid(order.orderId, later, 'ch_456')).toBe(false);

    expect(await orders.get(order.orderId)).toMatchObject({
      status: 'activating',
      payment: { status: 'paid', method: 'card', token: 'tok_visa' },
      paidAt: later.toISOString(),
      chargeId: 'ch_123',
    });
  });

  it('lets exactly one of many concurrent payments through', async () => {
    const order = newOrder();
    await orders.create(order);

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => orders.markPaid(order.orderId, later, `ch_${i}`)),
    );

    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await orders.get(order.orderId))?.chargeId).toBe(`ch_${results.indexOf(true)}`);
  });

  it('refuses a closed order and an order whose payment is no longer pending', async () => {
    const cancelled = newOrder();
    await orders.create(cancelled);
    await orders.close(cancelled.orderId, 'cancelled', 'States.Timeout');
    const declined = newOrder({ payment: { method: 'card', status: 'failed', reference: 'RF00X' } });
    await orders.create(declined);

    expect(await orders.markPaid(cancelled.orderId, later)).toBe(false);
    expect(await orders.markPaid(declined.orderId, later)).toBe(false);
    expect(await orders.markPaid('0000000000ZZ', later)).toBe(false);
    expect((await orders.get(cancelled.orderId))?.status).toBe('cancelled');
    expect((await orders.get(declined.orderId))?.status).toBe('pending_payment');
  });
});

describe('DynamoDB order repository: markCompleted', () => {
  it('completes an activating order once', async () => {
    const order = await paidOrder();

    expect(await orders.markCompleted(order.orderId, later)).toBe(true);
    expect(await orders.markCompleted(order.orderId, later)).toBe(false);
    expect(await orders.get(order.orderId)).toMatchObject({ status: 'completed', completedAt: later.toISOString() });
  });

  it('refuses an order not paid yet', async () => {
    const order = newOrder();
    await orders.create(order);

    expect(await orders.markCompleted(order.orderId, later)).toBe(false);
    expect(await orders.get(order.orderId)).toMatchObject({ status: 'pending_payment', completedAt: null });
  });
});

describe('DynamoDB order repository: close', () => {
  it('closes a pending order and answers it; a second close answers undefined', async () => {
    const order = newOrder();
    await orders.create(order);

    const closed = await orders.close(order.orderId, 'cancelled', 'States.Timeout');

    expect(closed).toEqual({ ...order, status: 'cancelled', failureReason: 'States.Timeout' });
    expect(await orders.close(order.orderId, 'failed', 'again')).toBeUndefined();
    expect(await orders.get(order.orderId)).toEqual(closed);
  });

  it('closes an activating order', async () => {
    const order = await paidOrder();

    const closed = await orders.close(order.orderId, 'failed', ErrorName.ProvisioningImpossibleError);

    expect(closed).toMatchObject({ status: 'failed', failureReason: ErrorName.ProvisioningImpossibleError });
    // The money was taken: the payment stays paid so that the refund is not forgotten.
    expect(closed?.payment.status).toBe('paid');
  });

  it('marks the payment failed when asked to', async () => {
    const order = newOrder({
      payment: { method: 'card', status: 'pending', reference: 'RF00X', token: 'tok_declined' },
    });
    await orders.create(order);

    const closed = await orders.close(order.orderId, 'failed', ErrorName.PaymentDeclinedError, true);

    expect(closed?.payment).toEqual({ method: 'card', status: 'failed', reference: 'RF00X', token: 'tok_declined' });
  });

  it('never closes a completed or unknown order', async () => {
    const order = await paidOrder();
    await orders.markCompleted(order.orderId, later);

    expect(await orders.close(order.orderId, 'failed', 'late')).toBeUndefined();
    expect(await orders.close('0000000000ZZ', 'failed', 'late')).toBeUndefined();
    expect((await orders.get(order.orderId))?.status).toBe('completed');
    expect(await table.item(orderKey('0000000000ZZ'))).toBeUndefined();
  });

  it('forgets the task token of the order it closes', async () => {
    const order = newOrder();
    await orders.create(order);
    await orders.saveTaskToken(order.orderId, 'task-token-1');

    const closed = await orders.close(order.orderId, 'cancelled', 'States.Timeout');

    expect(closed).not.toHaveProperty('taskToken');
    expect(await orders.getTaskToken(order.orderId)).toBeUndefined();
    expect(await table.item(orderKey(order.orderId))).not.toHaveProperty('taskToken');
  });
});

describe('DynamoDB order repository: task token and sent emails', () => {
  it('keeps the task token of a pending order, and get never shows it', async () => {
    const order = newOrder();
    await orders.create(order);

    expect(await orders.saveTaskToken(order.orderId, 'task-token-1')).toBe(true);

    expect(await orders.getTaskToken(order.orderId)).toBe('task-token-1');
    expect(await table.item(orderKey(order.orderId))).toMatchObject({ taskToken: 'task-token-1' });
    const read = await orders.get(order.orderId);
    expect(read).toEqual(order);
    expect(JSON.stringify(read)).not.toContain('task-token-1');
  });

  it('refuses the task token of an order no longer waiting for its payment', async () => {
    const order = await paidOrder();

    expect(await orders.saveTaskToken(order.orderId, 'task-token-late')).toBe(false);
    expect(await orders.saveTaskToken('0000000000ZZ', 'task-token-late')).toBe(false);
    expect(await orders.getTaskToken(order.orderId)).toBeUndefined();
    expect(await table.item(orderKey('0000000000ZZ'))).toBeUndefined();
  });

  it('remembers when an email was sent', async () => {
    const order = newOrder();
    await orders.create(order);

    await orders.markSent(order.orderId, 'paymentInstructionsSentAt', later);

    expect(await orders.get(order.orderId)).toEqual({ ...order, paymentInstructionsSentAt: later.toISOString() });
  });
});
