import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { dayOf } from '../../domain/renewal-policy.ts';
import type { CreditMovement } from '../../domain/reseller-credit.ts';
import { domainDueItem, nextDomainSweepAt, type ResellerDomain } from '../../domain/reseller-domains.ts';
import type { DomainRequest, ResellerDomainRepository } from '../../use-cases/ports.ts';
import { duePartition, dueShardOf } from './mailbox-repository.ts';
import { cancellationReasons, movementKey, resellerKey } from './reseller-repository.ts';
import { positionKey, readNewestFirst, storefrontPartition } from './storefront-lists.ts';
import { isConditionFailed, stripKeys, type Table, updateIf } from './table.ts';

/*
 * A certified domain is one item per domain (`DOMAIN#<domain>` / `DOMAIN`), so no two resellers can
 * hold the same domain, listed per reseller through the storefront index (`STOREFRONT#<id>#DOMAIN`).
 * Its yearly debit is a movement of the reseller's ledger, written in the same transaction as the
 * domain and the balance (the balance's condition keeps it at or above zero).
 */

/** The attempts of a request cancelled by a conflict with another transaction on the same reseller. */
const CONFLICT_ATTEMPTS = 8;

export const domainKey = (domain: string) => ({ pk: `DOMAIN#${domain}`, sk: 'DOMAIN' });

/**
 * The domain's entry in the renewal sweep's due-day index (`byDueDay`), beside the mailboxes':
 * the partition of the day of its next renewal stage (never a day before `notBefore`'s, which the
 * sweep may have read already), sorted by `<nextSweepAt>#DOMAIN#<domain>`; none with nothing ahead.
 */
export function domainDueKeys(domain: ResellerDomain, notBefore: Date): { gsi4pk: string; gsi4sk: string } | undefined {
  const due = nextDomainSweepAt(domain);
  if (!due) return undefined;
  const item = domainDueItem(domain.domain);
  const day = notBefore > due ? dayOf(notBefore) : dayOf(due);
  return { gsi4pk: duePartition(day, dueShardOf(item)), gsi4sk: `${due.toISOString()}#${item}` };
}

const domainItem = (domain: ResellerDomain) => ({
  ...domainKey(domain.domain),
  gsi2pk: storefrontPartition(domain.resellerId, 'DOMAIN'),
  gsi2sk: positionKey({ at: domain.requestedAt, id: domain.domain }),
  ...domain,
});

const movementItem = (resellerId: string, debit: CreditMovement) => ({
  ...movementKey(resellerId, debit.movementId),
  gsi2pk: storefrontPartition(resellerId, 'MOVEMENT'),
  gsi2sk: positionKey({ at: debit.at, id: debit.movementId }),
  ...debit,
});

/** A reseller's domains in DynamoDB (see above). */
export function dynamoResellerDomainRepository(
  table: Table,
  clock: () => Date = () => new Date(),
): ResellerDomainRepository {
  const { client, tableName } = table;
  type Transact = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

  /** The debit and the balance lowered by it (never below zero); nothing for a free year. */
  const debitItems = (resellerId: string, debit: CreditMovement | undefined): Transact[] =>
    debit
      ? [
          {
            Put: {
              TableName: tableName,
              Item: movementItem(resellerId, debit),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableName,
              Key: resellerKey(resellerId),
              ConditionExpression: 'attribute_exists(pk) AND balanceCents >= :needed',
              UpdateExpression: 'SET balanceCents = balanceCents - :needed',
              ExpressionAttributeValues: { ':needed': debit.amountCents },
            },
          },
        ]
      : [
          {
            ConditionCheck: {
              TableName: tableName,
              Key: resellerKey(resellerId),
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        ];

  /** Sends a transaction again while it is cancelled by a conflict with another one on the same reseller. */
  async function withConflictRetries<T>(what: string, once: () => Promise<T | 'conflict'>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await once();
      if (outcome !== 'conflict') return outcome;
      if (attempt >= CONFLICT_ATTEMPTS) throw new Error(`${what} kept conflicting.`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
    }
  }

  const get = async (domain: string) => {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: domainKey(domain), ConsistentRead: true }),
    );
    return Item;
  };

  /**
   * Puts the domain in the due-day partition its schedule names, after a write that may have changed
   * it; written only if the domain is still as read (its term, status and stages), else the write
   * that changed it reschedules it.
   */
  const reschedule = async (item: Record<string, unknown>): Promise<void> => {
    const keys = domainDueKeys(stripKeys<ResellerDomain>(item), clock());
    if (keys?.gsi4pk === item.gsi4pk && keys?.gsi4sk === item.gsi4sk) return;
    const stages = item.stagesDone instanceof Set ? item.stagesDone.size : 0;
    await updateIf(table, {
      Key: domainKey(String(item.domain)),
      ConditionExpression:
        'expiresAt = :expiresAt AND #status = :status AND ' +
        (stages === 0 ? 'attribute_not_exists(stagesDone)' : 'size(stagesDone) = :stages'),
      UpdateExpression: keys ? 'SET gsi4pk = :pk, gsi4sk = :sk' : 'REMOVE gsi4pk, gsi4sk',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':expiresAt': item.expiresAt,
        ':status': item.status,
        ...(stages === 0 ? {} : { ':stages': stages }),
        ...(keys ? { ':pk': keys.gsi4pk, ':sk': keys.gsi4sk } : {}),
      },
    });
  };

  /** A conditional update answering the item as it now is, rescheduled; undefined when the condition did not hold. */
  const updateAndReschedule = async (
    update: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues'>,
  ): Promise<Record<string, unknown> | undefined> => {
    try {
      const { Attributes } = await client.send(
        new UpdateCommand({ TableName: tableName, ...update, ReturnValues: 'ALL_NEW' }),
      );
      if (Attributes) await reschedule(Attributes);
      return Attributes;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  };

  async function requestOnce(
    domain: ResellerDomain,
    debit: CreditMovement | undefined,
  ): Promise<DomainRequest | 'conflict'> {
    const { resellerId } = domain;
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableName,
                Item: { ...domainItem(domain), ...domainDueKeys(domain, clock()) },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...debitItems(resellerId, debit),
          ],
        }),
      );
      return 'requested';
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      if (reasons.includes('TransactionConflict') && !reasons.includes('ConditionalCheckFailed')) return 'conflict';
      // Without a debit, the reseller's condition check is the second item.
      if (!debit && reasons[1] === 'ConditionalCheckFailed') return 'no_reseller';
      if (reasons[0] === 'ConditionalCheckFailed' || reasons[1] === 'ConditionalCheckFailed') return 'domain_taken';
      if (reasons[2] === 'ConditionalCheckFailed') {
        const { Item } = await client.send(
          new GetCommand({ TableName: tableName, Key: resellerKey(resellerId), ConsistentRead: true }),
        );
        return Item ? 'insufficient_credit' : 'no_reseller';
      }
      throw error;
    }
  }

  async function renewOnce(
    domain: ResellerDomain,
    expiresAt: string,
    next: { expiresAt: string; priceCents: number },
    debit: CreditMovement | undefined,
  ): Promise<'renewed' | 'insufficient_credit' | 'not_due' | 'conflict'> {
    const renewed: ResellerDomain = { ...domain, expiresAt: next.expiresAt, priceCents: next.priceCents };
    const keys = domainDueKeys(renewed, clock());
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: domainKey(domain.domain),
                ConditionExpression: '#status = :certified AND expiresAt = :expiresAt',
                UpdateExpression: `SET expiresAt = :next, priceCents = :price${keys ? ', gsi4pk = :pk, gsi4sk = :sk' : ''}`,
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':certified': 'certified',
                  ':expiresAt': expiresAt,
                  ':next': next.expiresAt,
                  ':price': next.priceCents,
                  ...(keys ? { ':pk': keys.gsi4pk, ':sk': keys.gsi4sk } : {}),
                },
              },
            },
            ...debitItems(domain.resellerId, debit),
          ],
        }),
      );
      return 'renewed';
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      if (reasons.includes('TransactionConflict') && !reasons.includes('ConditionalCheckFailed')) return 'conflict';
      // The term moved on, or this year's debit is there already (a repeat): nothing to do.
      if (reasons[0] === 'ConditionalCheckFailed' || (debit && reasons[1] === 'ConditionalCheckFailed')) {
        return 'not_due';
      }
      if (debit && reasons[2] === 'ConditionalCheckFailed') return 'insufficient_credit';
      throw error;
    }
  }

  return {
    async get(domain) {
      const item = await get(domain);
      return item ? stripKeys<ResellerDomain>(item) : undefined;
    },

    request(domain, debit) {
      // Cancelled whole by a conflict with a concurrent transaction on the reseller (another debit):
      // sent again, as the ledger's own transactions are.
      return withConflictRetries(`Requesting ${domain.domain}`, () => requestOnce(domain, debit));
    },

    async certify(domain, at) {
      const item = await updateAndReschedule({
        Key: domainKey(domain),
        ConditionExpression: '#status = :pending',
        UpdateExpression: 'SET #status = :certified, certifiedAt = :at',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending_dns', ':certified': 'certified', ':at': at.toISOString() },
      });
      return item ? stripKeys<ResellerDomain>(item) : this.get(domain);
    },

    startDnsCheck(domain) {
      return updateIf(table, {
        Key: domainKey(domain),
        ConditionExpression: 'attribute_exists(pk)',
        UpdateExpression: 'SET dnsChecksStarted = if_not_exists(dnsCheckRequests, :zero)',
        ExpressionAttributeValues: { ':zero': 0 },
      });
    },

    async saveDnsTaskToken(domain, taskToken) {
      const saved = await updateIf(table, {
        Key: domainKey(domain),
        // Pending, and no check asked for since the last one began.
        ConditionExpression:
          '#status = :pending AND (attribute_not_exists(dnsCheckRequests) OR dnsCheckRequests = dnsChecksStarted)',
        UpdateExpression: 'SET dnsTaskToken = :token',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending_dns', ':token': taskToken },
      });
      if (saved) return 'saved';
      const item = await get(domain);
      return item?.status === 'pending_dns' ? 'check_requested' : 'not_waiting';
    },

    async requestDnsCheck(domain) {
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: domainKey(domain),
            ConditionExpression: 'attribute_exists(pk)',
            UpdateExpression: 'ADD dnsCheckRequests :one',
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const taskToken = Attributes?.dnsTaskToken;
        return typeof taskToken === 'string' ? { taskToken } : {};
      } catch (error) {
        if (isConditionFailed(error)) return undefined;
        throw error;
      }
    },

    async renew(domainName, expiresAt, next, debit) {
      const item = await get(domainName);
      if (!item) return 'not_due';
      const domain = stripKeys<ResellerDomain>(item);
      return withConflictRetries(`Renewing ${domainName}`, () => renewOnce(domain, expiresAt, next, debit));
    },

    async markStageDone(domain, expiresAt, key) {
      const item = await updateAndReschedule({
        Key: domainKey(domain),
        ConditionExpression:
          'expiresAt = :expiresAt AND (attribute_not_exists(stagesDone) OR NOT contains(stagesDone, :key))',
        UpdateExpression: 'ADD stagesDone :keys',
        ExpressionAttributeValues: { ':expiresAt': expiresAt, ':key': key, ':keys': new Set([key]) },
      });
      return item !== undefined;
    },

    async lapse(domain, expiresAt, at) {
      const item = await updateAndReschedule({
        Key: domainKey(domain),
        ConditionExpression: '#status = :certified AND expiresAt = :expiresAt',
        UpdateExpression: 'SET #status = :lapsed, lapsedAt = :at',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':certified': 'certified',
          ':lapsed': 'lapsed',
          ':expiresAt': expiresAt,
          ':at': at.toISOString(),
        },
      });
      return item !== undefined;
    },

    async markPurged(domain, at) {
      const item = await updateAndReschedule({
        Key: domainKey(domain),
        ConditionExpression: '#status = :lapsed AND attribute_not_exists(purgedAt)',
        UpdateExpression: 'SET purgedAt = :at',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':lapsed': 'lapsed', ':at': at.toISOString() },
      });
      return item !== undefined;
    },

    async reschedule(domain) {
      const item = await get(domain);
      if (item) await reschedule(item);
    },

    async mailboxesOn(resellerId, domain) {
      // The reseller's mailboxes (its storefront partition), those on the domain kept: a lapse is
      // once a year per domain, so reading the reseller's list then is bounded by its size.
      const suffix = `@${domain}`;
      const addresses: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'byStorefront',
            KeyConditionExpression: 'gsi2pk = :partition',
            FilterExpression: 'contains(address, :suffix)',
            ProjectionExpression: 'address',
            ExpressionAttributeValues: { ':partition': storefrontPartition(resellerId, 'MAILBOX'), ':suffix': suffix },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) {
          const address = String(item.address);
          if (address.endsWith(suffix)) addresses.push(address);
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return addresses;
    },

    async list(resellerId) {
      const { items } = await readNewestFirst(
        table,
        {
          index: 'byStorefront',
          partitionKey: 'gsi2pk',
          sortKey: 'gsi2sk',
          partitions: [storefrontPartition(resellerId, 'DOMAIN')],
        },
        100,
      );
      return items.map((item) => stripKeys<ResellerDomain>(item));
    },
  };
}
