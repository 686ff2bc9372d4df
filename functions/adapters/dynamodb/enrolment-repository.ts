import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Enrolment } from '../../domain/reseller-enrolment.ts';
import type { EnrolmentRepository } from '../../use-cases/ports.ts';
import { positionKey, readOldestFirst } from './storefront-lists.ts';
import { stripKeys, type Table, updateIf } from './table.ts';

/** An enrolment is one item; `gsi2` lists them by status (`ENROLMENTS#<status>`, oldest first by `<createdAt>#<id>`). */
export const enrolmentKey = (enrolmentId: string) => ({ pk: `ENROLMENT#${enrolmentId}`, sk: 'ENROLMENT' });
export const enrolmentStatusPartition = (status: string) => `ENROLMENTS#${status}`;

/** Reseller enrolments in DynamoDB: each step of a decision is a condition on the status (and the approval's claim). */
export function dynamoEnrolmentRepository(table: Table): EnrolmentRepository {
  const { client, tableName } = table;
  return {
    async create(enrolment) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...enrolmentKey(enrolment.enrolmentId),
            gsi2pk: enrolmentStatusPartition(enrolment.status),
            gsi2sk: `${enrolment.createdAt}#${enrolment.enrolmentId}`,
            ...enrolment,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async get(enrolmentId) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: enrolmentKey(enrolmentId), ConsistentRead: true }),
      );
      return Item ? stripKeys<Enrolment>(Item) : undefined;
    },

    async decide(enrolmentId, decision, from = { status: 'pending_documents' }) {
      const fields = Object.entries(decision).filter(([, value]) => value !== undefined);
      const claimed = from.approvingAt !== undefined;
      const decided = await updateIf(table, {
        Key: enrolmentKey(enrolmentId),
        ConditionExpression: claimed ? '#status = :from AND #claimedAt = :claimedAt' : '#status = :from',
        UpdateExpression: `SET gsi2pk = :partition, ${fields.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: {
          '#status': 'status',
          ...(claimed ? { '#claimedAt': 'approvingAt' } : {}),
          ...Object.fromEntries(fields.map(([name], i) => [`#f${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':from': from.status,
          ...(claimed ? { ':claimedAt': from.approvingAt } : {}),
          ':partition': enrolmentStatusPartition(decision.status),
          ...Object.fromEntries(fields.map(([, value], i) => [`:v${i}`, value])),
        },
      });
      return decided ? 'decided' : 'not_pending';
    },

    async list(statuses, { limit, after }) {
      const { items, next } = await readOldestFirst(
        table,
        {
          index: 'byStorefront',
          partitionKey: 'gsi2pk',
          sortKey: 'gsi2sk',
          partitions: statuses.map(enrolmentStatusPartition),
          ...(after ? { before: positionKey(after) } : {}),
        },
        limit,
      );
      return { items: items.map((item) => stripKeys<Enrolment>(item)), ...(next ? { next } : {}) };
    },
  };
}
