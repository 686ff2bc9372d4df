import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type OrderEvent, orderLifecycle, type PaymentEvent, paymentLifecycle } from '../../domain/lifecycles.ts';
import type { Order } from '../../domain/order.ts';
import type { OrderRepository } from '../../use-cases/ports.ts';
import { isConditionFailed, statusIn, stripKeys, type Table, updateIf, writeIf } from './table.ts';

export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });

const toItem = (order: Order) => ({ ...orderKey(order.orderId), ...order });
const fromItem = (item: Record<string, unknown>): Order => {
  const { taskToken: _token, ...order } = stripKeys<Order & { taskToken?: string }>(item);
  return order;
};

/**
 * The update of an order by a lifecycle `event`: only from an order status the order lifecycle lets
 * the event leave (and, with `payment`, a payment status the payment lifecycle lets that event
 * leave), moving each status where the table says (a status the event keeps is not written), with
 * `set` attributes (by name, values as given) and an extra `condition`.
 */
function orderMove(
  orderId: string,
  event: OrderEvent,
  options: {
    payment?: PaymentEvent;
    set?: Record<string, unknown>;
    condition?: string;
    /** Values the extra `condition` refers to. */
    values?: Record<string, unknown>;
    removeTaskToken?: boolean;
  },
) {
  const from = statusIn('#status', orderLifecycle.sourcesOf(event), 'from');
  const paymentFrom = options.payment
    ? statusIn('payment.#paymentStatus', paymentLifecycle.sourcesOf(options.payment), 'paymentFrom')
    : undefined;
  const set: Record<string, unknown> = { ...options.set };
  if (orderLifecycle.changesStatus(event)) set['#status'] = orderLifecycle.targetOf(event);
  if (options.payment && paymentLifecycle.changesStatus(options.payment)) {
    set['payment.#paymentStatus'] = paymentLifecycle.targetOf(options.payment);
  }
  const assignments = Object.keys(set).map((path, index) => `${path} = :set${index}`);
  const update = [
    assignments.length > 0 ? `SET ${assignments.join(', ')}` : '',
    options.removeTaskToken ? 'REMOVE taskToken' : '',
  ];
  return {
    Key: orderKey(orderId),
    ConditionExpression: [from.expression, paymentFrom?.expression, options.condition].filter(Boolean).join(' AND '),
    UpdateExpression: update.filter(Boolean).join(' '),
    ExpressionAttributeNames: { '#status': 'status', ...(paymentFrom ? { '#paymentStatus': 'status' } : {}) },
    ExpressionAttributeValues: {
      ...from.values,
      ...paymentFrom?.values,
      ...options.values,
      ...Object.fromEntries(Object.values(set).map((value, index) => [`:set${index}`, value])),
    },
  };
}

/**
 * Orders in DynamoDB. Every state change is a conditional write from the statuses the order's and the
 * payment's lifecycles (`domain/lifecycles.ts`) allow for its event.
 */
export function dynamoOrderRepository(table: Table): OrderRepository {
  const { client, tableName } = table;
  return {
    async get(orderId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: orderKey(orderId), ConsistentRead: true }),
      );
      return Item ? fromItem(Item) : undefined;
    },

    async create(order) {
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

    markPaid(orderId, at, chargeId) {
      return updateIf(
        table,
        orderMove(orderId, 'pay', {
          payment: 'pay',
          set: { paidAt: at.toISOString(), ...(chargeId ? { chargeId } : {}) },
        }),
      );
    },

    markPaymentFailed(orderId) {
      return updateIf(table, orderMove(orderId, 'decline', { payment: 'decline' }));
    },

    markCompleted(orderId, at) {
      return updateIf(
        table,
        orderMove(orderId, 'complete', { set: { completedAt: at.toISOString() }, removeTaskToken: true }),
      );
    },

    async close(orderId, outcome, reason, at, paymentFailed = false) {
      const move = orderMove(orderId, outcome === 'failed' ? 'fail' : 'cancel', {
        // A declined payment is recorded with the closing, from a payment that was never taken.
        ...(paymentFailed ? { payment: 'decline' } : {}),
        set: { failureReason: reason, closedAt: at.toISOString() },
        removeTaskToken: true,
      });
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({ TableName: tableName, ...move, ReturnValues: 'ALL_NEW' }),
        );
        return Attributes ? fromItem(Attributes) : undefined;
      } catch (error) {
        if (isConditionFailed(error)) return undefined;
        throw error;
      }
    },

    recordRefund(orderId, refund) {
      return updateIf(
        table,
        orderMove(orderId, 'refund', {
          payment: 'refund',
          condition: 'attribute_not_exists(refund)',
          // Indexed for an operator: every order with a refund to make, oldest first.
          set: { refund, gsi1pk: 'REFUND_REQUIRED', gsi1sk: `${refund.recordedAt}#${orderId}` },
        }),
      );
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

    savePaymentId(orderId, providerPaymentId) {
      // Only while the payment may still be made; the first payment kept stands.
      const payable = statusIn('payment.#paymentStatus', paymentLifecycle.sourcesOf('pay'), 'payable');
      const move = orderMove(orderId, 'await_payment', {
        set: { providerPaymentId },
        condition: `${payable.expression} AND (attribute_not_exists(providerPaymentId) OR providerPaymentId = :providerPaymentId)`,
        values: { ...payable.values, ':providerPaymentId': providerPaymentId },
      });
      return updateIf(table, {
        ...move,
        ExpressionAttributeNames: { ...move.ExpressionAttributeNames, '#paymentStatus': 'status' },
      });
    },

    saveTaskToken(orderId, taskToken) {
      return updateIf(table, orderMove(orderId, 'await_payment', { set: { taskToken } }));
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
