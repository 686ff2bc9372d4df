import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { activationDeadline, pendingDeadline, settlingDeadline } from '../../domain/attention.ts';
import { type OrderEvent, orderLifecycle, type PaymentEvent, paymentLifecycle } from '../../domain/lifecycles.ts';
import type { Order } from '../../domain/order.ts';
import type { AttentionIndex, OrderRepository } from '../../use-cases/ports.ts';
import { logOrderKeys } from '../logger.ts';
import { positionKey, readNewestFirst, statusPartition, storefrontPartition } from './storefront-lists.ts';
import { isConditionFailed, statusIn, stripKeys, type Table, updateIf, writeIf } from './table.ts';

export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });

/**
 * The storefront indexes' keys (GET /orders): the storefront's orders, and those in the order's
 * status (kept by every status change), both newest first by creation.
 */
export const storefrontIndexKeys = (order: Pick<Order, 'storefrontId' | 'status' | 'createdAt' | 'orderId'>) => ({
  gsi2pk: storefrontPartition(order.storefrontId, 'ORDER'),
  gsi3pk: statusPartition(order.storefrontId, 'ORDER', order.status),
  gsi2sk: positionKey({ at: order.createdAt, id: order.orderId }),
});

/**
 * The attention index (`byAttention`, sparse): every order that is not settled yet, under one
 * partition, sorted by the moment it needs a person if it has not moved on by then
 * (`<deadline>#<orderId>`, see `domain/attention.ts`). What needs a person now is the one query
 * `attentionSk <= now`. The order's writes move the deadline; a settled order leaves the index.
 */
export const ATTENTION_PARTITION = 'ATTENTION';
export const attentionKeys = (orderId: string, deadline: string) => ({
  attentionPk: ATTENTION_PARTITION,
  attentionSk: `${deadline}#${orderId}`,
});

/** The stored item of an order, keys and all (what `create` puts; a reseller's order is put in its debit's transaction). */
export const orderItem = (order: Order) => ({
  ...orderKey(order.orderId),
  ...storefrontIndexKeys(order),
  ...attentionKeys(order.orderId, pendingDeadline(order)),
  ...order,
});
const toItem = orderItem;

/** What the order item holds for the workflow's waits only: never part of the order. */
interface WaitAttributes {
  /** The task token of the payment wait. */
  taskToken?: string;
  /** PEC on the holder's own domain: the task token of the wait for the next check. */
  dnsTaskToken?: string;
  /** Checks of the domain asked for (`dns-check`), counted. */
  dnsCheckRequests?: number;
  /** How many had been asked for when the last check began. */
  dnsChecksStarted?: number;
  /** A reseller's order: the initial password's credential, until the order is completed or closed. */
  initialPasswordCredential?: string;
}

export const fromItem = (item: Record<string, unknown>): Order => {
  const {
    taskToken: _token,
    dnsTaskToken: _dnsToken,
    dnsCheckRequests: _requests,
    dnsChecksStarted: _started,
    initialPasswordCredential: _credential,
    ...order
  } = stripKeys<Order & WaitAttributes>(item);
  return order;
};

/**
 * The update of an order by a lifecycle `event`: only from an order status the order lifecycle lets
 * the event leave (and, with `payment`, a payment status the payment lifecycle lets that event
 * leave), moving each status where the table says (a status the event keeps is not written), with
 * `set` attributes (by name, values as given) and an extra `condition`.
 */
export function orderMove(
  orderId: string,
  event: OrderEvent,
  options: {
    payment?: PaymentEvent;
    set?: Record<string, unknown>;
    condition?: string;
    /** Values the extra `condition` refers to. */
    values?: Record<string, unknown>;
    removeTaskToken?: boolean;
    /** The order's storefront, for an event that changes the status: the status index partition names it. */
    storefrontId?: string;
  },
) {
  const from = statusIn('#status', orderLifecycle.sourcesOf(event), 'from');
  const paymentFrom = options.payment
    ? statusIn('payment.#paymentStatus', paymentLifecycle.sourcesOf(options.payment), 'paymentFrom')
    : undefined;
  const set: Record<string, unknown> = { ...options.set };
  const storefrontCondition = options.storefrontId === undefined ? undefined : 'storefrontId = :storefrontId';
  if (orderLifecycle.changesStatus(event)) {
    const status = orderLifecycle.targetOf(event);
    set['#status'] = status;
    // The order moves to its new status's list; the condition makes sure the storefront read is its own.
    if (options.storefrontId !== undefined) set.gsi3pk = statusPartition(options.storefrontId, 'ORDER', status);
  }
  if (options.payment && paymentLifecycle.changesStatus(options.payment)) {
    set['payment.#paymentStatus'] = paymentLifecycle.targetOf(options.payment);
  }
  const assignments = Object.keys(set).map((path, index) => `${path} = :set${index}`);
  const update = [
    assignments.length > 0 ? `SET ${assignments.join(', ')}` : '',
    // With the waits' tokens goes the initial password's credential: a finished order needs neither.
    options.removeTaskToken ? 'REMOVE taskToken, dnsTaskToken, initialPasswordCredential' : '',
  ];
  return {
    Key: orderKey(orderId),
    ConditionExpression: [from.expression, paymentFrom?.expression, options.condition, storefrontCondition]
      .filter(Boolean)
      .join(' AND '),
    UpdateExpression: update.filter(Boolean).join(' '),
    ExpressionAttributeNames: { '#status': 'status', ...(paymentFrom ? { '#paymentStatus': 'status' } : {}) },
    ExpressionAttributeValues: {
      ...from.values,
      ...paymentFrom?.values,
      ...options.values,
      ...Object.fromEntries(Object.values(set).map((value, index) => [`:set${index}`, value])),
      ...(options.storefrontId === undefined ? {} : { ':storefrontId': options.storefrontId }),
    },
  };
}

/**
 * Orders in DynamoDB. Every state change is a conditional write from the statuses the order's and the
 * payment's lifecycles (`domain/lifecycles.ts`) allow for its event.
 */
export function dynamoOrderRepository(table: Table): OrderRepository {
  const { client, tableName } = table;

  /**
   * The storefront of a stored order, for a status change: the status index partition names it, and
   * DynamoDB cannot build a key from another attribute. An order's storefront never changes.
   */
  const storefrontOf = async (orderId: string): Promise<string | undefined> => (await keysOf(orderId))?.storefrontId;

  /** What the keys of a status change are built from: the storefront, and whether the mailbox is on the holder's domain. */
  const keysOf = async (orderId: string) => {
    const { Item } = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: orderKey(orderId),
        ProjectionExpression: 'storefrontId, mailbox.domainPec',
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    return {
      storefrontId: Item.storefrontId as string | undefined,
      domainPec: (Item.mailbox as { domainPec?: boolean } | undefined)?.domainPec === true,
    };
  };

  /** `orderMove`, with the order's storefront when the event changes its status (see `storefrontIndexKeys`). */
  const move = async (orderId: string, event: OrderEvent, options: Parameters<typeof orderMove>[2]) => {
    // No order, no write: its status condition fails without the storefront.
    const storefrontId = orderLifecycle.changesStatus(event) ? await storefrontOf(orderId) : undefined;
    return orderMove(orderId, event, { ...options, ...(storefrontId ? { storefrontId } : {}) });
  };

  const get = async (orderId: string) => {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: orderKey(orderId), ConsistentRead: true }),
    );
    const order = Item ? fromItem(Item) : undefined;
    // The invocation handles this order: its log lines say which, and whose.
    if (order) logOrderKeys(order);
    return order;
  };

  /** Applies a move and answers the order as it now is, or undefined when the move was not allowed. */
  async function moveAndRead(move: ReturnType<typeof orderMove>): Promise<Order | undefined> {
    try {
      const { Attributes } = await client.send(
        new UpdateCommand({ TableName: tableName, ...move, ReturnValues: 'ALL_NEW' }),
      );
      return Attributes ? fromItem(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  return {
    get,

    async listByStorefront(storefrontId, { status, limit, after }) {
      const { items, next } = await readNewestFirst(
        table,
        {
          ...(status
            ? {
                index: 'byStorefrontStatus',
                partitionKey: 'gsi3pk',
                partitions: [statusPartition(storefrontId, 'ORDER', status)],
              }
            : {
                index: 'byStorefront',
                partitionKey: 'gsi2pk',
                partitions: [storefrontPartition(storefrontId, 'ORDER')],
              }),
          sortKey: 'gsi2sk',
          ...(after ? { before: positionKey(after) } : {}),
        },
        limit,
      );
      return { items: items.map(fromItem), ...(next ? { next } : {}) };
    },

    async create(order) {
      logOrderKeys(order);
      const created = await writeIf(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: toItem(order),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return created ? 'created' : 'exists';
    },

    async markPaid(orderId, at, chargeId, payer, saved) {
      const keys = await keysOf(orderId);
      const paidAt = at.toISOString();
      return updateIf(
        table,
        orderMove(orderId, 'pay', {
          payment: 'pay',
          set: {
            paidAt,
            ...(chargeId ? { chargeId } : {}),
            ...(payer ? { paidBy: payer } : {}),
            ...(saved ? { savedPaymentMethod: saved } : {}),
            // Now promised active within 10 minutes (48 hours on the holder's own domain).
            ...attentionKeys(orderId, activationDeadline(paidAt, keys?.domainPec ?? false)),
          },
          ...(keys?.storefrontId ? { storefrontId: keys.storefrontId } : {}),
        }),
      );
    },

    async markPaymentFailed(orderId, reason) {
      return updateIf(
        table,
        await move(orderId, 'decline', { payment: 'decline', ...(reason ? { set: { declineReason: reason } } : {}) }),
      );
    },

    async markCompleted(orderId, at) {
      const completedAt = at.toISOString();
      return updateIf(
        table,
        await move(orderId, 'complete', {
          // Until its audit entry and document are written (`settleAttention`).
          set: { completedAt, ...attentionKeys(orderId, settlingDeadline(completedAt)) },
          removeTaskToken: true,
        }),
      );
    },

    async initialPasswordCredential(orderId) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: orderKey(orderId),
          ProjectionExpression: 'initialPasswordCredential',
          ConsistentRead: true,
        }),
      );
      const credential = Item?.initialPasswordCredential;
      return typeof credential === 'string' ? credential : undefined;
    },

    async close(orderId, outcome, reason, at, paymentFailed = false) {
      return moveAndRead(
        await move(orderId, outcome === 'failed' ? 'fail' : 'cancel', {
          // A declined payment is recorded with the closing, from a payment that was never taken.
          ...(paymentFailed ? { payment: 'decline' } : {}),
          // Until its refund, address, email and audit entry are done (`settleAttention`).
          set: {
            failureReason: reason,
            closedAt: at.toISOString(),
            ...attentionKeys(orderId, settlingDeadline(at.toISOString())),
          },
          removeTaskToken: true,
        }),
      );
    },

    async cancelWaiting(orderId, reason, at) {
      // The task token stays: the cancellation ends the wait with it, after this write.
      return moveAndRead(
        await move(orderId, 'storefront_cancel', {
          payment: 'storefront_cancel',
          set: {
            failureReason: reason,
            closedAt: at.toISOString(),
            ...attentionKeys(orderId, settlingDeadline(at.toISOString())),
          },
        }),
      );
    },

    async recordRefund(orderId, refund, dueAt) {
      return updateIf(
        table,
        await move(orderId, 'refund', {
          payment: 'refund',
          condition: 'attribute_not_exists(refund)',
          // Indexed for an operator: every order with a refund to make, oldest first; and listed
          // for attention once due (at once when it is made by hand).
          set: {
            refund,
            gsi1pk: 'REFUND_REQUIRED',
            gsi1sk: `${refund.recordedAt}#${orderId}`,
            ...attentionKeys(orderId, dueAt ?? refund.recordedAt),
          },
        }),
      );
    },

    async markRefunded(orderId, refund) {
      const update = await move(orderId, 'refunded', { payment: 'refunded', set: { refund } });
      // No longer an order with a refund to make (the operator's indexes).
      return updateIf(table, {
        ...update,
        UpdateExpression: `${update.UpdateExpression} REMOVE gsi1pk, gsi1sk, attentionPk, attentionSk`,
      });
    },

    async settleAttention(orderId) {
      // Settled: completed, or closed with no refund left to make. An order still open keeps its deadline.
      const settled = statusIn('#status', ['completed', 'failed', 'cancelled'], 'settled');
      await updateIf(table, {
        Key: orderKey(orderId),
        ConditionExpression: `${settled.expression} AND payment.#paymentStatus <> :refundRequired`,
        UpdateExpression: 'REMOVE attentionPk, attentionSk',
        ExpressionAttributeNames: { '#status': 'status', '#paymentStatus': 'status' },
        ExpressionAttributeValues: { ...settled.values, ':refundRequired': 'refund_required' },
      });
    },

    async claimEmail(orderId, field, at) {
      return updateIf(table, {
        Key: orderKey(orderId),
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#field)',
        UpdateExpression: 'SET #field = :at',
        ExpressionAttributeNames: { '#field': field },
        ExpressionAttributeValues: { ':at': at.toISOString() },
      });
    },

    async noteUnauditedActivation(orderId, activatedAt) {
      await updateIf(table, {
        Key: orderKey(orderId),
        ConditionExpression: 'attribute_exists(pk)',
        UpdateExpression: 'SET unauditedActivationAt = :at',
        ExpressionAttributeValues: { ':at': activatedAt },
      });
    },

    async releaseEmail(orderId, field, at) {
      // Only this claim: a later claim by another attempt stays.
      await updateIf(table, {
        Key: orderKey(orderId),
        ConditionExpression: '#field = :at',
        UpdateExpression: 'REMOVE #field',
        ExpressionAttributeNames: { '#field': field },
        ExpressionAttributeValues: { ':at': at.toISOString() },
      });
    },

    async savePaymentId(orderId, providerPaymentId, nextAction) {
      // Only while the payment may still be made; the first payment kept stands.
      const payable = statusIn('payment.#paymentStatus', paymentLifecycle.sourcesOf('pay'), 'payable');
      const update = await move(orderId, 'await_payment', {
        set: { providerPaymentId, ...(nextAction ? { nextAction } : {}) },
        condition: `${payable.expression} AND (attribute_not_exists(providerPaymentId) OR providerPaymentId = :providerPaymentId)`,
        values: { ...payable.values, ':providerPaymentId': providerPaymentId },
      });
      return updateIf(table, {
        ...update,
        ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#paymentStatus': 'status' },
      });
    },

    async saveTaskToken(orderId, taskToken) {
      return updateIf(table, await move(orderId, 'await_payment', { set: { taskToken } }));
    },

    startDnsCheck(orderId) {
      const from = statusIn('#status', orderLifecycle.sourcesOf('await_dns'), 'from');
      return updateIf(table, {
        Key: orderKey(orderId),
        ConditionExpression: from.expression,
        UpdateExpression: 'SET dnsChecksStarted = if_not_exists(dnsCheckRequests, :zero)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ...from.values, ':zero': 0 },
      });
    },

    async saveDnsTaskToken(orderId, taskToken) {
      const saved = await updateIf(
        table,
        orderMove(orderId, 'await_dns', {
          set: { dnsTaskToken: taskToken },
          // No check asked for since the last one began.
          condition: '(attribute_not_exists(dnsCheckRequests) OR dnsCheckRequests = dnsChecksStarted)',
        }),
      );
      if (saved) return 'saved';
      const order = await get(orderId);
      return order && orderLifecycle.canMove(order.status, 'await_dns') ? 'check_requested' : 'not_waiting';
    },

    async requestDnsCheck(orderId) {
      const from = statusIn('#status', orderLifecycle.sourcesOf('await_dns'), 'from');
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: orderKey(orderId),
            ConditionExpression: from.expression,
            UpdateExpression: 'ADD dnsCheckRequests :one',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ...from.values, ':one': 1 },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const taskToken = (Attributes as WaitAttributes | undefined)?.dnsTaskToken;
        return taskToken ? { taskToken } : {};
      } catch (error) {
        if (isConditionFailed(error)) return undefined;
        throw error;
      }
    },

    async getTaskToken(orderId) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: orderKey(orderId),
          ProjectionExpression: 'taskToken',
          ConsistentRead: true,
        }),
      );
      return Item?.taskToken as string | undefined;
    },
  };
}

/**
 * The orders that need a person at `now` (`byAttention`): their deadline passed, oldest first, from
 * one Query of one partition, never a Scan; a page reads at most `limit + 1` items.
 */
export function dynamoAttentionIndex(table: Table): AttentionIndex {
  const { client, tableName } = table;
  return {
    async due(now, { limit, after }) {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'byAttention',
          KeyConditionExpression: 'attentionPk = :pk AND attentionSk <= :now',
          ExpressionAttributeValues: { ':pk': ATTENTION_PARTITION, ':now': `${now.toISOString()}#~` },
          ...(after
            ? {
                ExclusiveStartKey: {
                  ...orderKey(after.id),
                  ...attentionKeys(after.id, after.at),
                },
              }
            : {}),
          Limit: limit + 1,
        }),
      );
      const items = Items.slice(0, limit).map((item) => {
        const sortKey = String(item.attentionSk);
        return { order: fromItem(item), since: sortKey.slice(0, sortKey.lastIndexOf('#')) };
      });
      const last = items.at(-1);
      return Items.length > limit && last ? { items, next: { at: last.since, id: last.order.orderId } } : { items };
    },
  };
}
