import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Enrolment } from '../../domain/reseller-enrolment.ts';
import type { EnrolmentRepository } from '../../use-cases/ports.ts';
import { stripKeys, type Table, updateIf } from './table.ts';

/** An enrolment is one item; `gsi2` lists them by status (`ENROLMENTS#<status>`, oldest first by `<createdAt>#<id>`). */
export const enrolmentKey = (enrolmentId: string) => ({ pk: `ENROLMENT#${enrolmentId}`, sk: 'ENROLMENT' });
export const enrolmentStatusPartition = (status: string) => `ENROLMENTS#${status}`;

/** Reseller enrolments in DynamoDB: decided once, by a condition on the status. */
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

    async decide(enrolmentId, decision) {
      const fields = Object.entries(decision).filter(([, value]) => value !== undefined);
      const decided = await updateIf(table, {
        Key: enrolmentKey(enrolmentId),
        ConditionExpression: '#status = :pending',
        UpdateExpression: `SET gsi2pk = :partition, ${fields.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: {
          '#status': 'status',
          ...Object.fromEntries(fields.map(([name], i) => [`#f${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':pending': 'pending_documents',
          ':partition': enrolmentStatusPartition(decision.status),
          ...Object.fromEntries(fields.map(([, value], i) => [`:v${i}`, value])),
        },
      });
      return decided ? 'decided' : 'not_pending';
    },
  };
}
