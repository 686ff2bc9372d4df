import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type MailboxEvent, mailboxLifecycle, PUBLIC_MAILBOX_STATUSES } from '../../domain/lifecycles.ts';
import type { Mailbox } from '../../domain/mailbox.ts';
import type { MailboxRepository } from '../../use-cases/ports.ts';
import {
  type ListSource,
  positionKey,
  readNewestFirst,
  statusPartition,
  storefrontPartition,
} from './storefront-lists.ts';
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

/**
 * The storefront indexes' keys (GET /mailboxes). The sort key, `<orderedAt>#<address>`, comes with
 * the reservation; the partitions only once the mailbox is one, so a reservation is in no list: the
 * storefront's, the one of its status, and (once it has an expiry) `<expiresAt>#<address>` for the
 * expiry index. Every status change moves `gsi3pk` (`listedAs`).
 */
export function storefrontIndexKeys(
  mailbox: Pick<Mailbox, 'storefrontId' | 'status' | 'orderedAt' | 'address' | 'expiresAt'>,
) {
  const sortKey = { gsi2sk: positionKey({ at: mailbox.orderedAt, id: mailbox.address }) };
  if (mailbox.status === 'reserved') return sortKey;
  return {
    ...sortKey,
    gsi2pk: storefrontPartition(mailbox.storefrontId, 'MAILBOX'),
    gsi3pk: statusPartition(mailbox.storefrontId, 'MAILBOX', mailbox.status),
    ...(mailbox.expiresAt ? { gsi3sk: positionKey({ at: mailbox.expiresAt, id: mailbox.address }) } : {}),
  };
}

/** The stored item of a mailbox or reservation, keys and all (what `reserve` puts; the bench loads these). */
export const mailboxItem = (mailbox: Mailbox) => ({
  ...mailboxKey(mailbox.address),
  ...expiryIndexKeys(mailbox),
  ...storefrontIndexKeys(mailbox),
  ...mailbox,
});

/**
 * What moving a mailbox by `event` writes to keep it in its storefront's lists: the storefront's
 * partition (a reservation turning into a mailbox enters them) and its new status's; on condition
 * that the storefront is still the one read, which changes only when the address is reserved anew.
 */
function listedAs(storefrontId: string, event: MailboxEvent) {
  return {
    set: 'gsi2pk = :listPartition, gsi3pk = :statusPartition',
    condition: 'storefrontId = :storefrontId',
    values: {
      ':listPartition': storefrontPartition(storefrontId, 'MAILBOX'),
      ':statusPartition': statusPartition(storefrontId, 'MAILBOX', mailboxLifecycle.targetOf(event)),
      ':storefrontId': storefrontId,
    },
  };
}

/** The expiry index's sort key, as `:expiryKey`. */
const expiryKey = (address: string, expiresAt: string) => ({
  ':expiryKey': positionKey({ at: expiresAt, id: address }),
});

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

/**
 * The conditional put that reserves an address for an order (`reserve`; a reseller's order puts it
 * in its debit's transaction): free (never used, deleted for good, ...), and a reservation is taken
 * only once its hold has expired, or by this very order again (a retry).
 */
export function reservationPut(reservation: Mailbox, now: Date) {
  const from = mayMove('reserve');
  return {
    Item: mailboxItem(reservation),
    ConditionExpression: `${from.expression} AND (attribute_not_exists(pk) OR #status <> :held OR holdUntil < :now OR orderId = :orderId)`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ...from.values,
      ':held': 'reserved',
      ':now': now.toISOString(),
      ':orderId': reservation.orderId,
    },
  };
}

export function dynamoMailboxRepository(table: Table): MailboxRepository {
  const { client, tableName } = table;

  /**
   * The storefront of the item under an address, for a status change: the list partitions name it,
   * and DynamoDB cannot build a key from another attribute.
   */
  const storefrontOf = async (address: string): Promise<string | undefined> => {
    const { Item } = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: mailboxKey(address),
        ProjectionExpression: 'storefrontId',
        ConsistentRead: true,
      }),
    );
    return Item?.storefrontId as string | undefined;
  };

  return {
    async get(address) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: mailboxKey(address), ConsistentRead: true }),
      );
      return Item ? stripKeys<Mailbox>(Item) : undefined;
    },

    async listByStorefront(storefrontId, { status, expiresBefore, limit, after }) {
      const afterKey = after && positionKey(after);
      const partition = (each: string) => statusPartition(storefrontId, 'MAILBOX', each);
      const source: ListSource =
        expiresBefore !== undefined
          ? {
              index: 'byStorefrontExpiry',
              partitionKey: 'gsi3pk',
              sortKey: 'gsi3sk',
              // One partition per status: without a status filter, every status's are merged.
              partitions: (status ? [status] : PUBLIC_MAILBOX_STATUSES).map(partition),
              before: afterKey !== undefined && afterKey < expiresBefore ? afterKey : expiresBefore,
            }
          : {
              ...(status
                ? { index: 'byStorefrontStatus', partitionKey: 'gsi3pk', partitions: [partition(status)] }
                : {
                    index: 'byStorefront',
                    partitionKey: 'gsi2pk',
                    partitions: [storefrontPartition(storefrontId, 'MAILBOX')],
                  }),
              sortKey: 'gsi2sk',
              ...(afterKey ? { before: afterKey } : {}),
            };
      const { items, next } = await readNewestFirst(table, source, limit);
      return { items: items.map((item) => stripKeys<Mailbox>(item)), ...(next ? { next } : {}) };
    },

    async reserve(reservation, now) {
      return writeIf(() => client.send(new PutCommand({ TableName: tableName, ...reservationPut(reservation, now) })));
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
      const storefrontId = await storefrontOf(address);
      if (!storefrontId) return false;
      const from = mayMove('await_dns');
      const listed = listedAs(storefrontId, 'await_dns');
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `orderId = :orderId AND ${from.expression} AND ${listed.condition}`,
        // No hold any more: the address is this order's until the order is closed.
        UpdateExpression: `SET #status = :to, ${listed.set} REMOVE holdUntil`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':orderId': orderId,
          ...from.values,
          ...moveTo('await_dns'),
          ...listed.values,
        },
      });
    },

    async activate(address, orderId, fields) {
      const storefrontId = await storefrontOf(address);
      if (!storefrontId) return false;
      const expiry = expiryIndexKeys({ address, expiresAt: fields.expiresAt });
      const from = mayMove('activate');
      const listed = listedAs(storefrontId, 'activate');
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `orderId = :orderId AND ${from.expression} AND ${listed.condition}`,
        UpdateExpression:
          'SET #status = :to, activatedAt = :activatedAt, expiresAt = :expiresAt, autoRenew = :autoRenew, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk, ' +
          `${listed.set}, gsi3sk = :expiryKey` +
          (fields.renewalPayment ? ', renewalPayment = :renewalPayment' : '') +
          ' REMOVE holdUntil',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':orderId': orderId,
          ...from.values,
          ...moveTo('activate'),
          ...listed.values,
          ...expiryKey(address, fields.expiresAt as string),
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
      const storefrontId = await storefrontOf(address);
      if (!storefrontId) return 'gone';
      const expiry = expiryIndexKeys({ address, expiresAt });
      const from = mayMove('renew');
      const listed = listedAs(storefrontId, 'renew');
      const extended = await updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `${from.expression} AND expiresAt = :previous AND (attribute_not_exists(renewalOrders) OR NOT contains(renewalOrders, :orderId)) AND ${listed.condition}`,
        UpdateExpression:
          `SET #status = :to, expiresAt = :expiresAt, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk, ${listed.set}, gsi3sk = :expiryKey` +
          (renewalPayment ? ', renewalPayment = :renewalPayment' : '') +
          ' ADD renewalOrders :orders',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...from.values,
          ...moveTo('renew'),
          ...listed.values,
          ...expiryKey(address, expiresAt),
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
      const storefrontId = await storefrontOf(address);
      if (!storefrontId) return false;
      const from = mayMove('suspend');
      const listed = listedAs(storefrontId, 'suspend');
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `${from.expression} AND expiresAt = :expiresAt AND ${listed.condition}`,
        UpdateExpression: `SET #status = :to, ${listed.set}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...from.values,
          ...moveTo('suspend'),
          ':expiresAt': expiresAt,
          ...listed.values,
        },
      });
    },

    async markDeleted(address, expiresAt) {
      const storefrontId = await storefrontOf(address);
      if (!storefrontId) return false;
      const from = mayMove('delete');
      const listed = listedAs(storefrontId, 'delete');
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `${from.expression} AND expiresAt = :expiresAt AND ${listed.condition}`,
        // Out of the sweep's expiry index, nothing left to charge: the address is free to be ordered
        // again. Still listed (as deleted) until it is.
        UpdateExpression: `SET #status = :to, autoRenew = :false, passwordSet = :false, ${listed.set} REMOVE gsi1pk, gsi1sk, renewalPayment`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...from.values,
          ...moveTo('delete'),
          ':expiresAt': expiresAt,
          ':false': false,
          ...listed.values,
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
