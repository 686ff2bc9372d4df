import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CreditMovement } from '../../domain/reseller-credit.ts';
import type { ResellerDomain } from '../../domain/reseller-domains.ts';
import type { DomainRequest, ResellerDomainRepository } from '../../use-cases/ports.ts';
import { cancellationReasons, movementKey, resellerKey } from './reseller-repository.ts';
import { positionKey, readNewestFirst, storefrontPartition } from './storefront-lists.ts';
import { isConditionFailed, stripKeys, type Table } from './table.ts';

/*
 * A certified domain is one item per domain (`DOMAIN#<domain>` / `DOMAIN`), so no two resellers can
 * hold the same domain, listed per reseller through the storefront index (`STOREFRONT#<id>#DOMAIN`).
 * Its yearly debit is a movement of the reseller's ledger, written in the same transaction as the
 * domain and the balance (the balance's condition keeps it at or above zero).
 */

/** The attempts of a request cancelled by a conflict with another transaction on the same reseller. */
const CONFLICT_ATTEMPTS = 8;

export const domainKey = (domain: string) => ({ pk: `DOMAIN#${domain}`, sk: 'DOMAIN' });

const domainItem = (domain: ResellerDomain) => ({
  ...domainKey(domain.domain),
  gsi2pk: storefrontPartition(domain.resellerId, 'DOMAIN'),
  gsi2sk: positionKey({ at: domain.requestedAt, id: domain.domain }),
  ...domain,
});

/** A reseller's domains in DynamoDB (see above). */
export function dynamoResellerDomainRepository(table: Table): ResellerDomainRepository {
  const { client, tableName } = table;

  async function requestOnce(domain: ResellerDomain, debit: CreditMovement): Promise<DomainRequest | 'conflict'> {
    const { resellerId } = domain;
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableName,
                Item: domainItem(domain),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: tableName,
                Item: {
                  ...movementKey(resellerId, debit.movementId),
                  gsi2pk: storefrontPartition(resellerId, 'MOVEMENT'),
                  gsi2sk: positionKey({ at: debit.at, id: debit.movementId }),
                  ...debit,
                },
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
          ],
        }),
      );
      return 'requested';
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      if (reasons.includes('TransactionConflict') && !reasons.includes('ConditionalCheckFailed')) return 'conflict';
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

  return {
    async get(domain) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: domainKey(domain), ConsistentRead: true }),
      );
      return Item ? stripKeys<ResellerDomain>(Item) : undefined;
    },

    async request(domain, debit) {
      // Cancelled whole by a conflict with a concurrent transaction on the reseller (another debit):
      // sent again, as the ledger's own transactions are.
      for (let attempt = 1; ; attempt++) {
        const outcome = await requestOnce(domain, debit);
        if (outcome !== 'conflict') return outcome;
        if (attempt >= CONFLICT_ATTEMPTS) throw new Error(`Requesting ${domain.domain} kept conflicting.`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
      }
    },

    async certify(domain, at) {
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: domainKey(domain),
            ConditionExpression: '#status = :pending',
            UpdateExpression: 'SET #status = :certified, certifiedAt = :at',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':pending': 'pending_dns',
              ':certified': 'certified',
              ':at': at.toISOString(),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes ? stripKeys<ResellerDomain>(Attributes) : undefined;
      } catch (error) {
        if (isConditionFailed(error)) return this.get(domain);
        throw error;
      }
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
