import { createHash } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type MailboxEvent, mailboxLifecycle, PUBLIC_MAILBOX_STATUSES } from '../../domain/lifecycles.ts';
import { ERASED_EMAIL, type Mailbox } from '../../domain/mailbox.ts';
import { dayOf, nextSweepAt } from '../../domain/renewal-policy.ts';
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

/** The due-day index is split in this many shards per day, so that no day's partition gets too many writes. */
export const DUE_SHARDS = 4;

/** The due-day partition of one shard of one day (`YYYY-MM-DD`). */
export const duePartition = (day: string, shard: number) => `DUE#${day}#${shard}`;

/** The address in a due-day sort key (`<nextSweepAt>#<address>`). */
const addressIn = (sortKey: string) => sortKey.slice(sortKey.indexOf('#') + 1);

/** A stable shard for an address: the first bytes of its hash. */
export const dueShardOf = (address: string) =>
  createHash('sha256').update(address).digest().readUInt16BE(0) % DUE_SHARDS;

/**
 * The renewal sweep's index (`byDueDay`, sparse, keys only): a mailbox with a stage ahead (reminder,
 * notice, charge, retry, suspension, deletion; `nextSweepAt` of the renewal policy) is in the
 * partition of that day, sorted by `<nextSweepAt>#<address>`; one with nothing ahead is in none.
 * A stage already due when the mailbox is written (automatic renewal switched off 20 days before
 * expiry: the 30-day reminder is due) goes in the partition of `notBefore`'s day, never in one of
 * a day the sweep has read already.
 */
export function dueIndexKeys(mailbox: Mailbox, notBefore?: Date): { gsi4pk: string; gsi4sk: string } | undefined {
  const due = nextSweepAt(mailbox);
  if (!due) return undefined;
  const day = notBefore && notBefore > due ? dayOf(notBefore) : dayOf(due);
  return { gsi4pk: duePartition(day, dueShardOf(mailbox.address)), gsi4sk: `${due.toISOString()}#${mailbox.address}` };
}

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
  ...dueIndexKeys(mailbox),
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

/**
 * The mailboxes of the table. `clock` is when a write happens (for the due-day index: a stage due
 * already is filed under today, see `dueIndexKeys`).
 */
export function dynamoMailboxRepository(table: Table, clock: () => Date = () => new Date()): MailboxRepository {
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

  /** A conditional update answering the item as written; undefined when its condition did not hold. */
  const updateReturning = async (
    update: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues'>,
  ): Promise<Record<string, unknown> | undefined> => {
    try {
      const { Attributes } = await client.send(
        new UpdateCommand({ TableName: tableName, ...update, ReturnValues: 'ALL_NEW' }),
      );
      return Attributes;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  };

  /**
   * Puts the mailbox in the due-day partition its renewal schedule names (or in none), after a
   * write that may have changed it. Every such write adds one to `revision`: the schedule is written
   * only if no other write came since, which then writes its own.
   */
  const reschedule = async (item: Record<string, unknown>): Promise<void> => {
    const keys = dueIndexKeys(stripKeys<Mailbox>(item), clock());
    if (keys?.gsi4pk === item.gsi4pk && keys?.gsi4sk === item.gsi4sk) return;
    await updateIf(table, {
      Key: mailboxKey(String(item.address)),
      ConditionExpression: item.revision === undefined ? 'attribute_not_exists(revision)' : 'revision = :revision',
      UpdateExpression: keys ? 'SET gsi4pk = :pk, gsi4sk = :sk' : 'REMOVE gsi4pk, gsi4sk',
      ExpressionAttributeValues: {
        ...(item.revision === undefined ? {} : { ':revision': item.revision }),
        ...(keys ? { ':pk': keys.gsi4pk, ':sk': keys.gsi4sk } : {}),
      },
    });
  };

  /** Where a due-day query resumes: the index key of the last item read (its address is in the sort key). */
  const dueStartKey = (partition: string, sortKey: string) => ({
    gsi4pk: partition,
    gsi4sk: sortKey,
    ...mailboxKey(addressIn(sortKey)),
  });

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
      const from = mayMove('activate');
      const listed = listedAs(storefrontId, 'activate');
      const item = await updateReturning({
        Key: mailboxKey(address),
        ConditionExpression: `orderId = :orderId AND ${from.expression} AND ${listed.condition}`,
        UpdateExpression:
          'SET #status = :to, activatedAt = :activatedAt, expiresAt = :expiresAt, autoRenew = :autoRenew, ' +
          `${listed.set}, gsi3sk = :expiryKey` +
          (fields.renewalPayment ? ', renewalPayment = :renewalPayment' : '') +
          (fields.billing ? ', billing = :billing' : '') +
          (fields.renewalYears ? ', renewalYears = :renewalYears' : '') +
          ' REMOVE holdUntil ADD revision :one',
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
          ':one': 1,
          ...(fields.renewalPayment ? { ':renewalPayment': fields.renewalPayment } : {}),
          ...(fields.billing ? { ':billing': fields.billing } : {}),
          ...(fields.renewalYears ? { ':renewalYears': fields.renewalYears } : {}),
        },
      });
      if (item) await reschedule(item);
      return item !== undefined;
    },

    async extend(address, orderId, { previousExpiresAt, expiresAt, renewalPayment, plan }) {
      const storefrontId = await storefrontOf(address);
      if (!storefrontId) return 'gone';
      const from = mayMove('renew');
      const listed = listedAs(storefrontId, 'renew');
      const item = await updateReturning({
        Key: mailboxKey(address),
        ConditionExpression: `${from.expression} AND expiresAt = :previous AND (attribute_not_exists(renewalOrders) OR NOT contains(renewalOrders, :orderId)) AND ${listed.condition}`,
        UpdateExpression:
          `SET #status = :to, expiresAt = :expiresAt, ${listed.set}, gsi3sk = :expiryKey` +
          (renewalPayment ? ', renewalPayment = :renewalPayment' : '') +
          (plan ? ', #type = :type, extraGb = :extraGb' : '') +
          ' ADD renewalOrders :orders, revision :one',
        ExpressionAttributeNames: { '#status': 'status', ...(plan ? { '#type': 'type' } : {}) },
        ExpressionAttributeValues: {
          ...from.values,
          ...moveTo('renew'),
          ...listed.values,
          ...expiryKey(address, expiresAt),
          ':previous': previousExpiresAt ?? '',
          ':orderId': orderId,
          ':expiresAt': expiresAt,
          ':orders': new Set([orderId]),
          ':one': 1,
          ...(renewalPayment ? { ':renewalPayment': renewalPayment } : {}),
          ...(plan ? { ':type': plan.type, ':extraGb': plan.extraGb } : {}),
        },
      });
      if (item) {
        await reschedule(item);
        return 'extended';
      }
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
            // Enabling needs something to charge: the card or PayPal token kept on the mailbox, or a reseller's credit.
            ConditionExpression: `${from.expression} AND storefrontId = :storefrontId${enabled ? ' AND (attribute_exists(renewalPayment) OR renewsFromCredit = :true)' : ''}`,
            UpdateExpression: 'SET autoRenew = :enabled ADD revision :one',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ...from.values,
              ':enabled': enabled,
              ':storefrontId': storefrontId,
              ':one': 1,
              ...(enabled ? { ':true': true } : {}),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        if (Attributes) await reschedule(Attributes);
        return Attributes ? stripKeys<Mailbox>(Attributes) : undefined;
      } catch (error) {
        if (isConditionFailed(error)) return undefined;
        throw error;
      }
    },

    async listDue({ days, until, limit, after }) {
      const partitions = days.flatMap((day) =>
        Array.from({ length: DUE_SHARDS }, (_, shard) => duePartition(day, shard)),
      );
      const addresses: string[] = [];
      let partition = after?.partition ?? 0;
      let start: Record<string, unknown> | undefined =
        after?.sortKey !== undefined ? dueStartKey(partitions[partition] ?? '', after.sortKey) : undefined;
      while (partition < partitions.length && addresses.length < limit) {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'byDueDay',
            // Only what is due by `until`: today's partition also holds what falls due later today.
            KeyConditionExpression: 'gsi4pk = :partition AND gsi4sk <= :until',
            ExpressionAttributeValues: { ':partition': partitions[partition], ':until': `${until}#\uffff` },
            Limit: limit - addresses.length,
            ExclusiveStartKey: start,
          }),
        );
        addresses.push(...(page.Items ?? []).map((item) => addressIn(String(item.gsi4sk))));
        start = page.LastEvaluatedKey;
        if (!start) partition++;
      }
      if (partition >= partitions.length) return { addresses };
      return { addresses, next: { partition, ...(start ? { sortKey: String(start.gsi4sk) } : {}) } };
    },

    async markStageDone(address, expiresAt, key) {
      const item = await updateReturning({
        Key: mailboxKey(address),
        ConditionExpression:
          'expiresAt = :expiresAt AND (attribute_not_exists(stagesDone) OR NOT contains(stagesDone, :key))',
        UpdateExpression: 'ADD stagesDone :keys, revision :one',
        ExpressionAttributeValues: { ':expiresAt': expiresAt, ':key': key, ':keys': new Set([key]), ':one': 1 },
      });
      if (item) await reschedule(item);
      return item !== undefined;
    },

    async reschedule(address) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: mailboxKey(address), ConsistentRead: true }),
      );
      if (Item) await reschedule(Item);
    },

    async suspend(address, expiresAt) {
      const storefrontId = await storefrontOf(address);
      if (!storefrontId) return false;
      const from = mayMove('suspend');
      const listed = listedAs(storefrontId, 'suspend');
      const item = await updateReturning({
        Key: mailboxKey(address),
        ConditionExpression: `${from.expression} AND expiresAt = :expiresAt AND ${listed.condition}`,
        UpdateExpression: `SET #status = :to, ${listed.set} ADD revision :one`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...from.values,
          ...moveTo('suspend'),
          ':expiresAt': expiresAt,
          ':one': 1,
          ...listed.values,
        },
      });
      if (item) await reschedule(item);
      return item !== undefined;
    },

    async markDeleted(address, expiresAt) {
      const storefrontId = await storefrontOf(address);
      if (!storefrontId) return false;
      const from = mayMove('delete');
      const listed = listedAs(storefrontId, 'delete');
      return updateIf(table, {
        Key: mailboxKey(address),
        ConditionExpression: `${from.expression} AND expiresAt = :expiresAt AND ${listed.condition}`,
        // Out of the sweep's due-day index, nothing left to charge: the address is free to be ordered
        // again. Still listed (as deleted) until it is. The holder's personal data goes with it
        // (ERASED_AT_DELETION: the reference email, what was learnt of it); invoicing data stays
        // on the orders (README, "Retention").
        UpdateExpression: `SET #status = :to, autoRenew = :false, passwordSet = :false, holderEmail = :erased, ${listed.set} REMOVE gsi1pk, gsi1sk, gsi4pk, gsi4sk, renewalPayment, contact`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...from.values,
          ...moveTo('delete'),
          ':expiresAt': expiresAt,
          ':false': false,
          ':erased': ERASED_EMAIL,
          ...listed.values,
        },
      });
    },

    async markContactUndeliverable(address, holderEmail, contact) {
      return updateIf(table, {
        Key: mailboxKey(address),
        // Only while the bounced address is still the mailbox's reference email; the first report stays.
        ConditionExpression: 'attribute_exists(pk) AND holderEmail = :email AND attribute_not_exists(contact)',
        UpdateExpression: 'SET contact = :contact',
        ExpressionAttributeValues: { ':email': holderEmail, ':contact': contact },
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
