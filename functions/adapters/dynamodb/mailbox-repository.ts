import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Mailbox } from '../../domain/mailbox.ts';
import type { MailboxRepository } from '../../use-cases/ports.ts';
import { dynamoDb } from '../clients/dynamodb.ts';
import { isConditionFailed, stripKeys, tableName, updateIf, writeIf } from './table.ts';

/**
 * One item per address: first the reservation held by an order, then the mailbox itself. Because
 * both live under the address's key, "no two customers get the same address" is a single
 * conditional write.
 */
export const mailboxKey = (address: string) => ({ pk: `MAILBOX#${address}`, sk: 'MAILBOX' });

/** The renewal sweep's index: mailboxes by month of expiry, sorted by expiry instant. */
export const expiryIndexKeys = (mailbox: Pick<Mailbox, 'address' | 'expiresAt'>) =>
  mailbox.expiresAt
    ? { gsi1pk: `EXPIRY#${mailbox.expiresAt.slice(0, 7)}`, gsi1sk: `${mailbox.expiresAt}#${mailbox.address}` }
    : {};

const toItem = (mailbox: Mailbox) => ({ ...mailboxKey(mailbox.address), ...expiryIndexKeys(mailbox), ...mailbox });

export const dynamoMailboxRepository: MailboxRepository = {
  async get(address) {
    const { Item } = await dynamoDb.send(
      new GetCommand({ TableName: tableName, Key: mailboxKey(address), ConsistentRead: true }),
    );
    return Item ? stripKeys<Mailbox>(Item) : undefined;
  },

  async reserve(reservation, now) {
    return writeIf(() =>
      dynamoDb.send(
        new PutCommand({
          TableName: tableName,
          Item: toItem(reservation),
          // Free: never used, deleted for good, an expired hold, or already held by this very order (a retry).
          ConditionExpression:
            'attribute_not_exists(pk) OR #status = :deleted OR (#status = :reserved AND (holdUntil < :now OR orderId = :orderId))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':deleted': 'deleted',
            ':reserved': 'reserved',
            ':now': now.toISOString(),
            ':orderId': reservation.orderId,
          },
        }),
      ),
    );
  },

  async release(address, orderId) {
    await writeIf(() =>
      dynamoDb.send(
        new DeleteCommand({
          TableName: tableName,
          Key: mailboxKey(address),
          ConditionExpression: '#status IN (:reserved, :activating) AND orderId = :orderId',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':reserved': 'reserved', ':activating': 'activating', ':orderId': orderId },
        }),
      ),
    );
  },

  async markActivating(address, orderId) {
    return writeIf(() =>
      dynamoDb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: mailboxKey(address),
          ConditionExpression: 'orderId = :orderId AND #status IN (:reserved, :activating)',
          // No hold any more: the address is this order's until the order is closed.
          UpdateExpression: 'SET #status = :activating REMOVE holdUntil',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':orderId': orderId, ':reserved': 'reserved', ':activating': 'activating' },
        }),
      ),
    );
  },

  async activate(address, orderId, fields) {
    const expiry = expiryIndexKeys({ address, expiresAt: fields.expiresAt });
    return writeIf(() =>
      dynamoDb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: mailboxKey(address),
          ConditionExpression: 'orderId = :orderId AND #status IN (:reserved, :activating, :active)',
          UpdateExpression:
            'SET #status = :active, activatedAt = :activatedAt, expiresAt = :expiresAt, autoRenew = :autoRenew, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk' +
            (fields.renewalPayment ? ', renewalPayment = :renewalPayment' : '') +
            ' REMOVE holdUntil',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':orderId': orderId,
            ':reserved': 'reserved',
            ':activating': 'activating',
            ':active': 'active',
            ':activatedAt': fields.activatedAt,
            ':expiresAt': fields.expiresAt,
            ':autoRenew': fields.autoRenew,
            ':gsi1pk': expiry.gsi1pk,
            ':gsi1sk': expiry.gsi1sk,
            ...(fields.renewalPayment ? { ':renewalPayment': fields.renewalPayment } : {}),
          },
        }),
      ),
    );
  },

  async extend(address, orderId, { previousExpiresAt, expiresAt, renewalPayment }) {
    const expiry = expiryIndexKeys({ address, expiresAt });
    const extended = await writeIf(() =>
      dynamoDb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: mailboxKey(address),
          ConditionExpression:
            '#status IN (:active, :suspended) AND expiresAt = :previous AND (attribute_not_exists(renewalOrders) OR NOT contains(renewalOrders, :orderId))',
          UpdateExpression:
            'SET #status = :active, expiresAt = :expiresAt, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk' +
            (renewalPayment ? ', renewalPayment = :renewalPayment' : '') +
            ' ADD renewalOrders :orders',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':active': 'active',
            ':suspended': 'suspended',
            ':previous': previousExpiresAt ?? '',
            ':orderId': orderId,
            ':expiresAt': expiresAt,
            ':gsi1pk': expiry.gsi1pk,
            ':gsi1sk': expiry.gsi1sk,
            ':orders': new Set([orderId]),
            ...(renewalPayment ? { ':renewalPayment': renewalPayment } : {}),
          },
        }),
      ),
    );
    if (extended) return 'extended';
    const current = await this.get(address);
    if (current?.renewalOrders?.has(orderId)) return 'applied';
    if (!current || (current.status !== 'active' && current.status !== 'suspended')) return 'gone';
    return 'stale';
  },

  async setAutoRenew(address, enabled) {
    try {
      const { Attributes } = await dynamoDb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: mailboxKey(address),
          // Enabling needs something to charge: the card or PayPal token kept on the mailbox.
          ConditionExpression: `#status IN (:active, :suspended)${enabled ? ' AND attribute_exists(renewalPayment)' : ''}`,
          UpdateExpression: 'SET autoRenew = :enabled',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active', ':suspended': 'suspended', ':enabled': enabled },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? stripKeys<Mailbox>(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  },

  async byExpiryMonth(month) {
    const mailboxes: Mailbox[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamoDb.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'byExpiry',
          KeyConditionExpression: 'gsi1pk = :month',
          ExpressionAttributeValues: { ':month': `EXPIRY#${month}` },
          ExclusiveStartKey: start,
        }),
      );
      mailboxes.push(...(page.Items ?? []).map((item) => stripKeys<Mailbox>(item)));
      start = page.LastEvaluatedKey;
    } while (start);
    return mailboxes;
  },

  async markReminded(address, reminderKey) {
    return updateIf({
      Key: mailboxKey(address),
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(remindersSent) OR NOT contains(remindersSent, :key))',
      UpdateExpression: 'ADD remindersSent :keys',
      ExpressionAttributeValues: { ':key': reminderKey, ':keys': new Set([reminderKey]) },
    });
  },

  async suspend(address, expiresAt) {
    return updateIf({
      Key: mailboxKey(address),
      ConditionExpression: '#status = :active AND expiresAt = :expiresAt',
      UpdateExpression: 'SET #status = :suspended',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':active': 'active', ':suspended': 'suspended', ':expiresAt': expiresAt },
    });
  },

  async markDeleted(address, expiresAt) {
    return updateIf({
      Key: mailboxKey(address),
      ConditionExpression: '#status = :suspended AND expiresAt = :expiresAt',
      // Out of the expiry index, nothing left to charge: the address is free to be ordered again.
      UpdateExpression:
        'SET #status = :deleted, autoRenew = :false, passwordSet = :false REMOVE gsi1pk, gsi1sk, renewalPayment',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':suspended': 'suspended',
        ':deleted': 'deleted',
        ':expiresAt': expiresAt,
        ':false': false,
      },
    });
  },

  async markPasswordSet(address) {
    return writeIf(() =>
      dynamoDb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: mailboxKey(address),
          ConditionExpression: 'passwordSet = :false',
          UpdateExpression: 'SET passwordSet = :true',
          ExpressionAttributeValues: { ':false': false, ':true': true },
        }),
      ),
    );
  },
};
