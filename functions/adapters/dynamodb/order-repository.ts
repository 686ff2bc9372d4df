import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { orderLifecycle, paymentLifecycle } from '../../domain/lifecycles.ts';
import type { Order } from '../../domain/order.ts';
import type { OrderRepository } from '../../use-cases/ports.ts';
import { dynamoDb } from '../clients/dynamodb.ts';
import { isConditionFailed, statusIn, stripKeys, tableName, updateIf, writeIf } from './table.ts';

export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });

/** Orders with a refund to make, in the generic index (partition `REFUND_REQUIRED`, by time recorded). */
const refundIndex = (orderId: string, recordedAt: string) => ({
  ':gsi1pk': 'REFUND_REQUIRED',
  ':gsi1sk': `${recordedAt}#${orderId}`,
});

const toItem = (order: Order) => ({ ...orderKey(order.orderId), ...order });
const fromItem = (item: Record<string, unknown>): Order => {
  const { taskToken: _token, ...order } = stripKeys<Order & { taskToken?: string }>(item);
  return order;
};

/**
 * Orders in DynamoDB. Every state change is a conditional write from the statuses the order's and the
 * payment's lifecycles (`domain/lifecycles.ts`) allow for its event.
 */
export const dynamoOrderRepository: OrderRepository = {
  async get(orderId) {
    const { Item } = await dynamoDb.send(
      new GetCommand({ TableName: tableName, Key: orderKey(orderId), ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  },

  async create(order) {
    const created = await writeIf(() =>
      dynamoDb.send(
        new PutCommand({ TableName: tableName, Item: toItem(order), ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
    return created ? 'created' : 'exists';
  },

  markPaid(orderId, at, chargeId) {
    const from = statusIn('#status', orderLifecycle.sourcesOf('pay'), 'from');
    const paymentFrom = statusIn('payment.#paymentStatus', paymentLifecycle.sourcesOf('pay'), 'paymentFrom');
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression: `${from.expression} AND ${paymentFrom.expression}`,
      UpdateExpression:
        'SET #status = :to, payment.#paymentStatus = :paymentTo, paidAt = :at' +
        (chargeId ? ', chargeId = :chargeId' : ''),
      ExpressionAttributeNames: { '#status': 'status', '#paymentStatus': 'status' },
      ExpressionAttributeValues: {
        ...from.values,
        ...paymentFrom.values,
        ':to': orderLifecycle.targetOf('pay'),
        ':paymentTo': paymentLifecycle.targetOf('pay'),
        ':at': at.toISOString(),
        ...(chargeId ? { ':chargeId': chargeId } : {}),
      },
    });
  },

  markPaymentFailed(orderId) {
    const from = statusIn('#status', orderLifecycle.sourcesOf('decline'), 'from');
    const paymentFrom = statusIn('payment.#paymentStatus', paymentLifecycle.sourcesOf('decline'), 'paymentFrom');
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression: `${from.expression} AND ${paymentFrom.expression}`,
      UpdateExpression: 'SET payment.#paymentStatus = :paymentTo',
      ExpressionAttributeNames: { '#status': 'status', '#paymentStatus': 'status' },
      ExpressionAttributeValues: {
        ...from.values,
        ...paymentFrom.values,
        ':paymentTo': paymentLifecycle.targetOf('decline'),
      },
    });
  },

  markCompleted(orderId, at) {
    const from = statusIn('#status', orderLifecycle.sourcesOf('complete'), 'from');
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression: from.expression,
      UpdateExpression: 'SET #status = :to, completedAt = :at REMOVE taskToken',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ...from.values,
        ':to': orderLifecycle.targetOf('complete'),
        ':at': at.toISOString(),
      },
    });
  },

  async close(orderId, outcome, reason, at, paymentFailed = false) {
    const event = outcome === 'failed' ? 'fail' : 'cancel';
    const from = statusIn('#status', orderLifecycle.sourcesOf(event), 'from');
    // A declined payment is recorded with the closing, from a payment that was never taken.
    const paymentFrom = paymentFailed
      ? statusIn('payment.#paymentStatus', paymentLifecycle.sourcesOf('decline'), 'paymentFrom')
      : undefined;
    try {
      const { Attributes } = await dynamoDb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: orderKey(orderId),
          ConditionExpression: from.expression + (paymentFrom ? ` AND ${paymentFrom.expression}` : ''),
          UpdateExpression: `SET #status = :to, failureReason = :reason, closedAt = :at${paymentFrom ? ', payment.#paymentStatus = :paymentTo' : ''} REMOVE taskToken`,
          ExpressionAttributeNames: { '#status': 'status', ...(paymentFrom ? { '#paymentStatus': 'status' } : {}) },
          ExpressionAttributeValues: {
            ...from.values,
            ':to': orderLifecycle.targetOf(event),
            ':reason': reason,
            ':at': at.toISOString(),
            ...(paymentFrom ? { ...paymentFrom.values, ':paymentTo': paymentLifecycle.targetOf('decline') } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? fromItem(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  },

  recordRefund(orderId, refund) {
    const from = statusIn('#status', orderLifecycle.sourcesOf('refund'), 'from');
    const paymentFrom = statusIn('payment.#paymentStatus', paymentLifecycle.sourcesOf('refund'), 'paymentFrom');
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression: `${from.expression} AND ${paymentFrom.expression} AND attribute_not_exists(refund)`,
      // Indexed for an operator: every order with a refund to make, oldest first.
      UpdateExpression: 'SET payment.#paymentStatus = :paymentTo, refund = :refund, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk',
      ExpressionAttributeNames: { '#status': 'status', '#paymentStatus': 'status' },
      ExpressionAttributeValues: {
        ...from.values,
        ...paymentFrom.values,
        ':paymentTo': paymentLifecycle.targetOf('refund'),
        ':refund': refund,
        ...refundIndex(orderId, refund.recordedAt),
      },
    });
  },

  async claimEmail(orderId, field, at) {
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#field)',
      UpdateExpression: 'SET #field = :at',
      ExpressionAttributeNames: { '#field': field },
      ExpressionAttributeValues: { ':at': at.toISOString() },
    });
  },

  async releaseEmail(orderId, field, at) {
    // Only this claim: a later claim by another attempt stays.
    await updateIf({
      Key: orderKey(orderId),
      ConditionExpression: '#field = :at',
      UpdateExpression: 'REMOVE #field',
      ExpressionAttributeNames: { '#field': field },
      ExpressionAttributeValues: { ':at': at.toISOString() },
    });
  },

  saveTaskToken(orderId, taskToken) {
    const from = statusIn('#status', orderLifecycle.sourcesOf('await_payment'), 'from');
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression: from.expression,
      UpdateExpression: 'SET taskToken = :token',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ...from.values, ':token': taskToken },
    });
  },

  async getTaskToken(orderId) {
    const { Item } = await dynamoDb.send(
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
