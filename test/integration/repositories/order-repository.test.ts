import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoOrderRepository, orderItem, orderKey } from '../../../functions/adapters/dynamodb/order-repository.ts';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Order } from '../../../functions/domain/order.ts';
import type { OrderRepository } from '../../../functions/use-cases/ports.ts';
import { storedOrder } from '../../support/fixtures.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

let table: LocalTable;
let orders: OrderRepository;

beforeAll(async () => {
  table = await startLocalTable();
  orders = dynamoOrderRepository(table);
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
    await orders.close(cancelled.orderId, 'cancelled', 'States.Timeout', later);
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

    const closed = await orders.close(order.orderId, 'cancelled', 'States.Timeout', later);

    expect(closed).toEqual({
      ...order,
      status: 'cancelled',
      failureReason: 'States.Timeout',
      closedAt: later.toISOString(),
    });
    expect(await orders.close(order.orderId, 'failed', 'again', later)).toBeUndefined();
    expect(await orders.get(order.orderId)).toEqual(closed);
  });

  it('closes an activating order', async () => {
    const order = await paidOrder();

    const closed = await orders.close(order.orderId, 'failed', 'ProvisioningImpossibleError', later);

    expect(closed).toMatchObject({ status: 'failed', failureReason: ErrorName.ProvisioningImpossibleError });
    // The money was taken: the payment stays paid so that the refund is not forgotten.
    expect(closed?.payment.status).toBe('paid');
  });

  it('marks the payment failed when asked to', async () => {
    const order = newOrder({
      payment: { method: 'card', status: 'pending', reference: 'RF00X', token: 'tok_declined' },
    });
    await orders.create(order);

    const closed = await orders.close(order.orderId, 'failed', 'PaymentDeclinedError', later, true);

    expect(closed?.payment).toEqual({ method: 'card', status: 'failed', reference: 'RF00X', token: 'tok_declined' });
  });

  it('never closes a completed or unknown order', async () => {
    const order = await paidOrder();
    await orders.markCompleted(order.orderId, later);

    expect(await orders.close(order.orderId, 'failed', 'late', later)).toBeUndefined();
    expect(await orders.close('0000000000ZZ', 'failed', 'late', later)).toBeUndefined();
    expect((await orders.get(order.orderId))?.status).toBe('completed');
    expect(await table.item(orderKey('0000000000ZZ'))).toBeUndefined();
  });

  it('forgets the task token of the order it closes', async () => {
    const order = newOrder();
    await orders.create(order);
    await orders.saveTaskToken(order.orderId, 'task-token-1');

    const closed = await orders.close(order.orderId, 'cancelled', 'States.Timeout', later);

    expect(closed).not.toHaveProperty('taskToken');
    expect(await orders.getTaskToken(order.orderId)).toBeUndefined();
    expect(await table.item(orderKey(order.orderId))).not.toHaveProperty('taskToken');
  });
});

describe('DynamoDB order repository: cancelWaiting', () => {
  it('cancels an order waiting for its credit once, keeping its task token for the wait to be ended with', async () => {
    const order = newOrder();
    await orders.create(order);
    await orders.saveTaskToken(order.orderId, 'task-token-1');

    const cancelled = await orders.cancelWaiting(order.orderId, 'cancelled_by_storefront', later);

    expect(cancelled).toEqual({
      ...order,
      status: 'cancelled',
      failureReason: 'cancelled_by_storefront',
      closedAt: later.toISOString(),
    });
    expect(await orders.getTaskToken(order.orderId)).toBe('task-token-1');
    expect(await orders.cancelWaiting(order.orderId, 'cancelled_by_storefront', later)).toBeUndefined();
    // The workflow's closing then finds it closed already, and changes nothing more.
    expect(await orders.close(order.orderId, 'cancelled', 'OrderCancelledError', later)).toBeUndefined();
  });

  it('lets exactly one of a cancellation and a credit racing for a waiting order through', async () => {
    for (let round = 0; round < 5; round++) {
      const order = newOrder();
      await orders.create(order);

      const [cancelled, paid] = await Promise.all([
        orders.cancelWaiting(order.orderId, 'cancelled_by_storefront', later),
        orders.markPaid(order.orderId, later, 'evt_credit'),
      ]);

      expect([cancelled !== undefined, paid].filter(Boolean)).toHaveLength(1);
      expect((await orders.get(order.orderId))?.status).toBe(paid ? 'activating' : 'cancelled');
    }
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

  it('lets exactly one of many concurrent claims of an email through, and remembers when', async () => {
    const order = newOrder();
    await orders.create(order);

    const claims = await Promise.all(
      Array.from({ length: 10 }, () => orders.claimEmail(order.orderId, 'paymentInstructionsSentAt', later)),
    );

    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await orders.get(order.orderId)).toEqual({ ...order, paymentInstructionsSentAt: later.toISOString() });
    expect(await orders.claimEmail(order.orderId, 'closeEmailSentAt', later)).toBe(true);
    expect(await orders.claimEmail('0000000000ZZ', 'closeEmailSentAt', later)).toBe(false);
    expect(await table.item(orderKey('0000000000ZZ'))).toBeUndefined();
  });

  it('gives back a claim so that a retry can send the email, but only the claim made at that time', async () => {
    const order = newOrder();
    await orders.create(order);
    await orders.claimEmail(order.orderId, 'closeEmailSentAt', now);

    await orders.releaseEmail(order.orderId, 'closeEmailSentAt', later); // not this claim: it stays
    expect((await orders.get(order.orderId))?.closeEmailSentAt).toBe(now.toISOString());

    await orders.releaseEmail(order.orderId, 'closeEmailSentAt', now);
    expect(await orders.get(order.orderId)).not.toHaveProperty('closeEmailSentAt');
    expect(await orders.claimEmail(order.orderId, 'closeEmailSentAt', later)).toBe(true);
  });
});

describe('DynamoDB order repository: the wait for a holder’s domain', () => {
  it('keeps the wait’s token, which a check asked for answers; get never shows the wait', async () => {
    const order = await paidOrder();
    expect(await orders.startDnsCheck(order.orderId)).toBe(true);
    expect(await orders.saveDnsTaskToken(order.orderId, 'token-1')).toBe('saved');

    expect(await orders.requestDnsCheck(order.orderId)).toEqual({ taskToken: 'token-1' });
    expect(await orders.get(order.orderId)).toEqual({
      ...order,
      status: 'activating',
      paidAt: now.toISOString(),
      payment: { ...order.payment, status: 'paid' },
    });
  });

  it('refuses the next wait when a check was asked for since the last check began, until a check begins again', async () => {
    const order = await paidOrder();
    await orders.startDnsCheck(order.orderId);
    expect(await orders.requestDnsCheck(order.orderId)).toEqual({}); // no wait yet: the check under way answers it
    expect(await orders.saveDnsTaskToken(order.orderId, 'token-1')).toBe('check_requested');
    await orders.startDnsCheck(order.orderId);
    expect(await orders.saveDnsTaskToken(order.orderId, 'token-2')).toBe('saved');
    // Concurrent requests all land: each counted, each given the token of the wait they end.
    const answers = await Promise.all(Array.from({ length: 5 }, () => orders.requestDnsCheck(order.orderId)));
    expect(answers).toEqual(Array.from({ length: 5 }, () => ({ taskToken: 'token-2' })));
    expect(await orders.saveDnsTaskToken(order.orderId, 'token-3')).toBe('check_requested');
  });

  it('refuses an order that is not activating, and forgets the wait’s token once the order is completed', async () => {
    const pending = newOrder();
    await orders.create(pending);
    expect(await orders.startDnsCheck(pending.orderId)).toBe(false);
    expect(await orders.saveDnsTaskToken(pending.orderId, 'token')).toBe('not_waiting');
    expect(await orders.requestDnsCheck(pending.orderId)).toBeUndefined();
    expect(await orders.requestDnsCheck('0000000000ZZ')).toBeUndefined();

    const order = await paidOrder();
    await orders.startDnsCheck(order.orderId);
    await orders.saveDnsTaskToken(order.orderId, 'token-1');
    await orders.markCompleted(order.orderId, later);
    expect(await orders.requestDnsCheck(order.orderId)).toBeUndefined();
    const { Items } = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': orderKey(order.orderId).pk },
      }),
    );
    expect(Items?.[0]?.dnsTaskToken).toBeUndefined();
  });
});

describe('DynamoDB order repository: recordRefund', () => {
  const refund = {
    status: 'required' as const,
    chargeId: 'ch_123',
    amountCents: 610,
    currency: 'EUR' as const,
    reason: 'order failed: ProvisioningImpossibleError',
    recordedAt: later.toISOString(),
  };

  it('records the refund of a closed, paid order once, and lists it for an operator', async () => {
    const order = await paidOrder();
    await orders.close(order.orderId, 'failed', 'ProvisioningImpossibleError', later);

    const results = await Promise.all([
      orders.recordRefund(order.orderId, refund),
      orders.recordRefund(order.orderId, { ...refund, chargeId: 'ch_other' }),
    ]);

    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = await orders.get(order.orderId);
    expect(stored).toMatchObject({ status: 'failed', payment: { status: 'refund_required' } });
    expect(stored?.refund?.chargeId).toBe(results[0] ? 'ch_123' : 'ch_other');
    const { Items } = await table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: 'byExpiry',
        KeyConditionExpression: 'gsi1pk = :refunds AND begins_with(gsi1sk, :at)',
        ExpressionAttributeValues: { ':refunds': 'REFUND_REQUIRED', ':at': later.toISOString() },
      }),
    );
    expect(Items?.map((item) => item.orderId)).toContain(order.orderId);
  });

  it('records the refund of a closed order whose charge it never learned of (payment still pending)', async () => {
    const order = newOrder({ payment: { method: 'card', status: 'pending', reference: 'RF00X', token: 'tok_visa' } });
    await orders.create(order);
    await orders.close(order.orderId, 'failed', 'States.TaskFailed', later);

    expect(await orders.recordRefund(order.orderId, refund)).toBe(true);
    expect(await orders.get(order.orderId)).toMatchObject({ payment: { status: 'refund_required' }, refund });
  });

  it('refuses an open order, a completed one, and a declined payment', async () => {
    const open = await paidOrder();
    const completed = await paidOrder();
    await orders.markCompleted(completed.orderId, later);
    const declined = newOrder({ payment: { method: 'card', status: 'pending', reference: 'RF00X', token: 'tok_x' } });
    await orders.create(declined);
    await orders.close(declined.orderId, 'failed', 'PaymentDeclinedError', later, true);

    for (const order of [open, completed, declined]) {
      expect(await orders.recordRefund(order.orderId, refund)).toBe(false);
      expect(await orders.get(order.orderId)).not.toHaveProperty('refund');
    }
    expect(await orders.recordRefund('0000000000ZZ', refund)).toBe(false);
  });
});

describe("DynamoDB order repository: a reseller's initial-password credential", () => {
  /** An activating order stored with a credential beside it, as the reseller's debit transaction writes it. */
  async function withCredential(credential: string): Promise<Order> {
    const order = newOrder({ status: 'activating' });
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...orderItem(order), initialPasswordCredential: credential },
      }),
    );
    return order;
  }

  it('is held beside the order, never part of it, until the order is completed', async () => {
    const order = await withCredential('scrypt$16384$8$1$c2FsdA==$aGFzaA==');

    expect(await orders.initialPasswordCredential(order.orderId)).toBe('scrypt$16384$8$1$c2FsdA==$aGFzaA==');
    expect(await orders.get(order.orderId)).not.toHaveProperty('initialPasswordCredential');
    expect(await orders.markCompleted(order.orderId, later)).toBe(true);

    expect(await orders.initialPasswordCredential(order.orderId)).toBeUndefined();
    expect(await table.item(orderKey(order.orderId))).not.toHaveProperty('initialPasswordCredential');
  });

  it('is forgotten when the order is closed', async () => {
    const order = await withCredential('scrypt$x');

    await orders.close(order.orderId, 'failed', 'ProvisioningImpossibleError', later);

    expect(await orders.initialPasswordCredential(order.orderId)).toBeUndefined();
    expect(await orders.initialPasswordCredential('0000000000ZZ')).toBeUndefined();
  });
});
