import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type MailboxEvent, mailboxLifecycle } from '../../domain/lifecycles.ts';
import type { Mailbox } from '../../domain/mailbox.ts';
import type { MailboxRepository } from '../../use-cases/ports.ts';
import { type Expression, isConditionFailed, statusIn, stripKeys, type Table, updateIf, writeIf } from './table.ts';

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

/**
 * The condition that `event` may move the mailbox: its status is one the mailbox lifecycle
 * (`domain/lifecycles.ts`) lets the event leave from; `absent` is no item under the address.
 */
function mayMove(event: MailboxEvent): Expression {
  const sources = mailboxLifecycle.sourcesOf(event);
  const present = statusIn(
    '#status',
    sources.filter((status) => status !== 'absent'),
    'from',
  );
  if (!sources.includes('absent')) return present;
  return { expression: `(attribute_not_exists(pk) OR ${present.expression})`, values: present.values };
}

/** The status `event` moves a mailbox to, as the value `:to`. */
const moveTo = (event: MailboxEvent) => ({ ':to': mailboxLifecycle.targetOf(event) });

export function dynamoMailboxRepository(table: Table): MailboxRepository {
  const { client, tableName } = table;
  return {
    async get(address) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: mailboxKey(address), ConsistentRead: true }),
      );
      return Item ? stripKeys<Mailbox>(Item) : undefined;
    },

    async reserve(reservation, now) {
      const from = mayMove('reserve');
      return writeIf(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: toItem(reservation),
            // Free (never used, deleted for good, ...), and a reservation is taken only once its hold has
            // expired, or by this very order again (a retry).
            ConditionExpression: `${from.expression} AND (attribute_not_exists(pk) OR #status <> :held OR holdUntil < :now OR orderId = :orderId)`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ...from.values,
              ':held': 'reserved',
              ':now': now.toISOString(),
              ':orderId': reservation.orderId,
            },
          }),
        ),
      );
    },

    async release(address, orderId) {
      const from = mayMove('release');
      await writeIf(() =>
        client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: mailboxKey(address),
            ConditionExpression: `${from.expression} AND orderId = :orderId`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ...from.values, ':orderId': orderId },
          }),
        ),
      );
    },

    async markActivating(address, orderId) {
      const from = mayMove('await_dns');
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `orderId = :orderId AND ${from.expression}`,
        // No hold any more: the address is this order's until the order is closed.
        UpdateExpression: 'SET #status = :to REMOVE holdUntil',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':orderId': orderId, ...from.values, ...moveTo('await_dns') },
      });
    },

    async activate(address, orderId, fields) {
      const expiry = expiryIndexKeys({ address, expiresAt: fields.expiresAt });
      const from = mayMove('activate');
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `orderId = :orderId AND ${from.expression}`,
        UpdateExpression:
          'SET #status = :to, activatedAt = :activatedAt, expiresAt = :expiresAt, autoRenew = :autoRenew, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk' +
          (fields.renewalPayment ? ', renewalPayment = :renewalPayment' : '') +
          ' REMOVE holdUntil',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':orderId': orderId,
          ...from.values,
          ...moveTo('activate'),
          ':activatedAt': fields.activatedAt,
          ':expiresAt': fields.expiresAt,
          ':autoRenew': fields.autoRenew,
          ':gsi1pk': expiry.gsi1pk,
          ':gsi1sk': expiry.gsi1sk,
          ...(fields.renewalPayment ? { ':renewalPayment': fields.renewalPayment } : {}),
        },
      });
    },

    async extend(address, orderId, { previousExpiresAt, expiresAt, renewalPayment }) {
      const expiry = expiryIndexKeys({ address, expiresAt });
      const from = mayMove('renew');
      const extended = await updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `${from.expression} AND expiresAt = :previous AND (attribute_not_exists(renewalOrders) OR NOT contains(renewalOrders, :orderId))`,
        UpdateExpression:
          'SET #status = :to, expiresAt = :expiresAt, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk' +
          (renewalPayment ? ', renewalPayment = :renewalPayment' : '') +
          ' ADD renewalOrders :orders',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...from.values,
          ...moveTo('renew'),
          ':previous': previousExpiresAt ?? '',
          ':orderId': orderId,
          ':expiresAt': expiresAt,
          ':gsi1pk': expiry.gsi1pk,
          ':gsi1sk': expiry.gsi1sk,
          ':orders': new Set([orderId]),
          ...(renewalPayment ? { ':renewalPayment': renewalPayment } : {}),
        },
      });
      if (extended) return 'extended';
      const current = await this.get(address);
      if (current?.renewalOrders?.has(orderId)) return 'applied';
      if (!current || !mailboxLifecycle.canMove(current.status, 'renew')) return 'gone';
      return 'stale';
    },

    async setAutoRenew(address, enabled, storefrontId) {
      const from = mayMove('set_auto_renew');
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: mailboxKey(address),
            // Enabling needs something to charge: the card or PayPal token kept on the mailbox.
            ConditionExpression: `${from.expression} AND storefrontId = :storefrontId${enabled ? ' AND attribute_exists(renewalPayment)' : ''}`,
            UpdateExpression: 'SET autoRenew = :enabled',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ...from.values, ':enabled': enabled, ':storefrontId': storefrontId },
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
        const page = await client.send(
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
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(remindersSent) OR NOT contains(remindersSent, :key))',
        UpdateExpression: 'ADD remindersSent :keys',
        ExpressionAttributeValues: { ':key': reminderKey, ':keys': new Set([reminderKey]) },
      });
    },

    async suspend(address, expiresAt) {
      const from = mayMove('suspend');
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `${from.expression} AND expiresAt = :expiresAt`,
        UpdateExpression: 'SET #status = :to',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ...from.values, ...moveTo('suspend'), ':expiresAt': expiresAt },
      });
    },

    async markDeleted(address, expiresAt) {
      const from = mayMove('delete');
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `${from.expression} AND expiresAt = :expiresAt`,
        // Out of the expiry index, nothing left to charge: the address is free to be ordered again.
        UpdateExpression:
          'SET #status = :to, autoRenew = :false, passwordSet = :false REMOVE gsi1pk, gsi1sk, renewalPayment',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...from.values,
          ...moveTo('delete'),
          ':expiresAt': expiresAt,
          ':false': false,
        },
      });
    },

    async markPasswordSet(address) {
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: 'passwordSet = :false',
        UpdateExpression: 'SET passwordSet = :true',
        ExpressionAttributeValues: { ':false': false, ':true': true },
      });
    },
  };
}
