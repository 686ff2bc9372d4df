import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Order } from '../../domain/order.ts';
import type { OrderRepository } from '../../use-cases/ports.ts';
import { dynamoDb } from '../clients/dynamodb.ts';
import { isConditionFailed, stripKeys, tableName, updateIf, writeIf } from './table.ts';

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

/** Orders in DynamoDB. Every state change is a conditional write on the order's current state. */
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
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression: '#status = :pending AND payment.#paymentStatus = :paymentPending',
      UpdateExpression:
        'SET #status = :activating, payment.#paymentStatus = :paid, paidAt = :at' +
        (chargeId ? ', chargeId = :chargeId' : ''),
      ExpressionAttributeNames: { '#status': 'status', '#paymentStatus': 'status' },
      ExpressionAttributeValues: {
        ':pending': 'pending_payment',
        ':paymentPending': 'pending',
        ':activating': 'activating',
        ':paid': 'paid',
        ':at': at.toISOString(),
        ...(chargeId ? { ':chargeId': chargeId } : {}),
      },
    });
  },

  markPaymentFailed(orderId) {
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression: '#status = :pending AND payment.#paymentStatus = :paymentPending',
      UpdateExpression: 'SET payment.#paymentStatus = :failed',
      ExpressionAttributeNames: { '#status': 'status', '#paymentStatus': 'status' },
      ExpressionAttributeValues: { ':pending': 'pending_payment', ':paymentPending': 'pending', ':failed': 'failed' },
    });
  },

  markCompleted(orderId, at) {
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression: '#status = :activating',
      UpdateExpression: 'SET #status = :completed, completedAt = :at REMOVE taskToken',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':activating': 'activating', ':completed': 'completed', ':at': at.toISOString() },
    });
  },

  async close(orderId, status, reason, at, paymentFailed = false) {
    try {
      const { Attributes } = await dynamoDb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: orderKey(orderId),
          ConditionExpression: '#status IN (:pending, :activating)',
          UpdateExpression: `SET #status = :status, failureReason = :reason, closedAt = :at${paymentFailed ? ', payment.#paymentStatus = :failed' : ''} REMOVE taskToken`,
          ExpressionAttributeNames: { '#status': 'status', ...(paymentFailed ? { '#paymentStatus': 'status' } : {}) },
          ExpressionAttributeValues: {
            ':pending': 'pending_payment',
            ':activating': 'activating',
            ':status': status,
            ':reason': reason,
            ':at': at.toISOString(),
            ...(paymentFailed ? { ':failed': 'failed' } : {}),
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
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression:
        '#status IN (:failed, :cancelled) AND payment.#paymentStatus IN (:paid, :pending) AND attribute_not_exists(refund)',
      // Indexed for an operator: every order with a refund to make, oldest first.
      UpdateExpression:
        'SET payment.#paymentStatus = :refundRequired, refund = :refund, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk',
      ExpressionAttributeNames: { '#status': 'status', '#paymentStatus': 'status' },
      ExpressionAttributeValues: {
        ':failed': 'failed',
        ':cancelled': 'cancelled',
        ':paid': 'paid',
        ':pending': 'pending',
        ':refundRequired': 'refund_required',
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
    return updateIf({
      Key: orderKey(orderId),
      ConditionExpression: '#status = :pending',
      UpdateExpression: 'SET taskToken = :token',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pending': 'pending_payment', ':token': taskToken },
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
