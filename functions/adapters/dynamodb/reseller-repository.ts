import { GetCommand, TransactWriteCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Refund } from '../../domain/order.ts';
import type { CreditMovement, Reseller, TopUp } from '../../domain/reseller-credit.ts';
import type { ResellerRepository } from '../../use-cases/ports.ts';
import { reservationPut } from './mailbox-repository.ts';
import { orderItem, orderMove } from './order-repository.ts';
import { positionKey, readNewestFirst, storefrontPartition } from './storefront-lists.ts';
import { isConditionFailed, stripKeys, type Table, updateIf } from './table.ts';

/*
 * The reseller item (`RESELLER#<id>` / `RESELLER`) holds the balance; each movement is an item in
 * the same partition (`MOVEMENT#<kind>#<reference>`), listed newest first through the storefront
 * index (`STOREFRONT#<id>#MOVEMENT`, `<at>#<movementId>`). A balance never changes without its
 * movement: both are in one TransactWriteItems, whose conditions are the ledger's invariants
 * (the movement does not exist yet; the balance stays at or above zero).
 */

export const resellerKey = (resellerId: string) => ({ pk: `RESELLER#${resellerId}`, sk: 'RESELLER' });
export const topUpKey = (topUpId: string) => ({ pk: `TOPUP#${topUpId}`, sk: 'TOPUP' });
export const movementKey = (resellerId: string, movementId: string) => ({
  pk: `RESELLER#${resellerId}`,
  sk: `MOVEMENT#${movementId}`,
});

const movementItem = (resellerId: string, movement: CreditMovement) => ({
  ...movementKey(resellerId, movement.movementId),
  gsi2pk: storefrontPartition(resellerId, 'MOVEMENT'),
  gsi2sk: positionKey({ at: movement.at, id: movement.movementId }),
  ...movement,
});

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The attempts of a transaction DynamoDB cancelled for a conflict with another one on the same items. */
const CONFLICT_ATTEMPTS = 8;

export interface ResellerRepositoryOptions {
  /** Told of every transaction cancelled by a conflict (then retried): the bench counts them. */
  onConflict?: () => void;
}

/** Resellers and their ledger in DynamoDB (see above). */
export function dynamoResellerRepository(table: Table, options: ResellerRepositoryOptions = {}): ResellerRepository {
  const { client, tableName } = table;

  /** A movement put once: its id is its key. */
  const putMovement = (resellerId: string, movement: CreditMovement): TransactItem => ({
    Put: {
      TableName: tableName,
      Item: movementItem(resellerId, movement),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  });

  /** The balance moved by `deltaCents`, of an existing reseller; a decrease only while it stays at or above zero. */
  const moveBalance = (resellerId: string, deltaCents: number): TransactItem => ({
    Update: {
      TableName: tableName,
      Key: resellerKey(resellerId),
      ConditionExpression: deltaCents < 0 ? 'attribute_exists(pk) AND balanceCents >= :needed' : 'attribute_exists(pk)',
      UpdateExpression: 'SET balanceCents = balanceCents + :delta',
      ExpressionAttributeValues: { ':delta': deltaCents, ...(deltaCents < 0 ? { ':needed': -deltaCents } : {}) },
    },
  });

  /**
   * Sends a transaction: `undefined` when it was written, otherwise the code of each item's
   * cancellation reason (`ConditionalCheckFailed`, `None`...), in order. A cancellation by a
   * conflict with a concurrent transaction is retried (backoff with full jitter).
   */
  async function transact(items: TransactItem[]): Promise<string[] | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(new TransactWriteCommand({ TransactItems: items }));
        return undefined;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw error;
        const conflict = reasons.includes('TransactionConflict') && !reasons.includes('ConditionalCheckFailed');
        if (!conflict) return reasons;
        options.onConflict?.();
        if (attempt >= CONFLICT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
      }
    }
  }

  const get = async (resellerId: string) => {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: resellerKey(resellerId), ConsistentRead: true }),
    );
    return Item ? stripKeys<Reseller>(Item) : undefined;
  };

  return {
    get,

    async enrol(reseller, deposit) {
      const reasons = await transact([
        {
          Put: {
            TableName: tableName,
            Item: { ...resellerKey(reseller.resellerId), ...reseller, balanceCents: deposit.amountCents },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        putMovement(reseller.resellerId, deposit),
      ]);
      return reasons ? 'exists' : 'created';
    },

    async placeDebitedOrder({ resellerId, order, debit, reservation, initialPasswordCredential }) {
      const items: TransactItem[] = [
        {
          Put: {
            TableName: tableName,
            Item: { ...orderItem(order), ...(initialPasswordCredential ? { initialPasswordCredential } : {}) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        putMovement(resellerId, debit),
        moveBalance(resellerId, -debit.amountCents),
        ...(reservation
          ? [{ Put: { TableName: tableName, ...reservationPut(reservation.mailbox, reservation.now) } }]
          : []),
      ];
      const reasons = await transact(items);
      if (!reasons) return 'placed';
      const failed = (index: number) => reasons[index] === 'ConditionalCheckFailed';
      // The order (or its debit) is there already: a replay of the same Idempotency-Key.
      if (failed(0) || failed(1)) return 'order_exists';
      if (reservation && failed(3)) return 'address_unavailable';
      if (failed(2)) return (await get(resellerId)) ? 'insufficient_credit' : 'no_reseller';
      throw new Error(`Placing order ${order.orderId} was cancelled: ${reasons.join(', ')}`);
    },

    async creditBack(resellerId, order, movement) {
      const refund: Refund = {
        status: 'refunded',
        chargeId: movement.movementId,
        amountCents: movement.amountCents,
        currency: 'EUR',
        reason: `credited back to the reseller: order ${order.status}`,
        recordedAt: movement.at,
        refundedAt: movement.at,
      };
      const { Key, ConditionExpression, UpdateExpression, ExpressionAttributeNames, ExpressionAttributeValues } =
        orderMove(order.orderId, 'credit_back', {
          payment: 'credit_back',
          set: { refund },
          condition: 'payment.#method = :credit',
          values: { ':credit': 'credit' },
        });
      const reasons = await transact([
        {
          Update: {
            TableName: tableName,
            Key,
            ConditionExpression,
            UpdateExpression,
            ExpressionAttributeNames: { ...ExpressionAttributeNames, '#method': 'method' },
            ExpressionAttributeValues,
          },
        },
        putMovement(resellerId, movement),
        moveBalance(resellerId, movement.amountCents),
      ]);
      if (!reasons) return 'credited';
      if (reasons[1] === 'ConditionalCheckFailed') return 'already';
      if (reasons[0] === 'ConditionalCheckFailed') return 'not_closed';
      throw new Error(`Crediting back order ${order.orderId} was cancelled: ${reasons.join(', ')}`);
    },

    async credit(resellerId, movement) {
      const reasons = await transact([
        putMovement(resellerId, movement),
        moveBalance(resellerId, movement.amountCents),
      ]);
      if (!reasons) return 'credited';
      if (reasons[0] === 'ConditionalCheckFailed') return 'already';
      throw new Error(
        `Crediting ${movement.movementId} to reseller ${resellerId} was cancelled: ${reasons.join(', ')}`,
      );
    },

    async movements(resellerId, { limit, after }) {
      const { items, next } = await readNewestFirst(
        table,
        {
          index: 'byStorefront',
          partitionKey: 'gsi2pk',
          sortKey: 'gsi2sk',
          partitions: [storefrontPartition(resellerId, 'MOVEMENT')],
          ...(after ? { before: positionKey(after) } : {}),
        },
        limit,
      );
      return { items: items.map((item) => stripKeys<CreditMovement>(item)), ...(next ? { next } : {}) };
    },

    async setLowBalanceThreshold(resellerId, thresholdCents) {
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: resellerKey(resellerId),
            ConditionExpression: 'attribute_exists(pk)',
            UpdateExpression: 'SET lowBalanceThresholdCents = :threshold',
            ExpressionAttributeValues: { ':threshold': thresholdCents },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes ? stripKeys<Reseller>(Attributes) : undefined;
      } catch (error) {
        if (isConditionFailed(error)) return undefined;
        throw error;
      }
    },

    claimLowBalanceNotice(resellerId, at) {
      return updateIf(table, {
        Key: resellerKey(resellerId),
        ConditionExpression: 'balanceCents < lowBalanceThresholdCents AND attribute_not_exists(lowBalanceNotifiedAt)',
        UpdateExpression: 'SET lowBalanceNotifiedAt = :at',
        ExpressionAttributeValues: { ':at': at.toISOString() },
      });
    },

    async createTopUp(topUp) {
      const reasons = await transact([
        {
          Put: {
            TableName: tableName,
            Item: { ...topUpKey(topUp.topUpId), ...topUp },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ]);
      return reasons ? 'exists' : 'created';
    },

    async getTopUp(topUpId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: topUpKey(topUpId), ConsistentRead: true }),
      );
      return Item ? stripKeys<TopUp>(Item) : undefined;
    },

    async creditTopUp(topUp, movement, eventId) {
      const reasons = await transact([
        {
          Update: {
            TableName: tableName,
            Key: topUpKey(topUp.topUpId),
            ConditionExpression: '#status = :pending',
            UpdateExpression: 'SET #status = :credited, creditedAt = :at, creditedBy = :eventId',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':pending': 'pending',
              ':credited': 'credited',
              ':at': movement.at,
              ':eventId': eventId,
            },
          },
        },
        putMovement(topUp.resellerId, movement),
        moveBalance(topUp.resellerId, movement.amountCents),
      ]);
      if (!reasons) return 'credited';
      if (reasons[1] === 'ConditionalCheckFailed') return 'already';
      if (reasons[0] === 'ConditionalCheckFailed') return 'not_pending';
      throw new Error(`Crediting top-up ${topUp.topUpId} was cancelled: ${reasons.join(', ')}`);
    },

    saveTopUpPayment(topUpId, providerPaymentId, nextAction) {
      // Only while it is pending; the first payment kept stands.
      return updateIf(table, {
        Key: topUpKey(topUpId),
        ConditionExpression:
          '#status = :pending AND (attribute_not_exists(providerPaymentId) OR providerPaymentId = :paymentId)',
        UpdateExpression: nextAction
          ? 'SET providerPaymentId = :paymentId, payment.nextAction = :nextAction'
          : 'SET providerPaymentId = :paymentId',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pending': 'pending',
          ':paymentId': providerPaymentId,
          ...(nextAction ? { ':nextAction': nextAction } : {}),
        },
      });
    },

    declineTopUp(topUpId, reason) {
      return updateIf(table, {
        Key: topUpKey(topUpId),
        ConditionExpression: '#status = :pending',
        UpdateExpression: 'SET #status = :declined, declineReason = :reason',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending', ':declined': 'declined', ':reason': reason },
      });
    },

    async releaseLowBalanceNotice(resellerId, at) {
      await updateIf(table, {
        Key: resellerKey(resellerId),
        ConditionExpression: 'lowBalanceNotifiedAt = :at',
        UpdateExpression: 'REMOVE lowBalanceNotifiedAt',
        ExpressionAttributeValues: { ':at': at.toISOString() },
      });
    },

    async rearmLowBalanceNotice(resellerId) {
      await updateIf(table, {
        Key: resellerKey(resellerId),
        ConditionExpression: 'balanceCents >= lowBalanceThresholdCents AND attribute_exists(lowBalanceNotifiedAt)',
        UpdateExpression: 'REMOVE lowBalanceNotifiedAt',
      });
    },
  };
}

/** The codes of a TransactionCanceledException's reasons, or undefined for another error. */
export function cancellationReasons(error: unknown): string[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}
