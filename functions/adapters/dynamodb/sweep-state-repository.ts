import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SweepStateRepository } from '../../use-cases/ports.ts';
import { type Table, updateIf } from './table.ts';

/** The one item recording how far the renewal sweep has read the due-day index. */
export const sweepStateKey = { pk: 'SWEEP#renewal', sk: 'STATE' };

export function dynamoSweepStateRepository(table: Table): SweepStateRepository {
  const { client, tableName } = table;
  return {
    async sweptThrough() {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: sweepStateKey, ConsistentRead: true }),
      );
      return typeof Item?.sweptThrough === 'string' ? Item.sweptThrough : undefined;
    },

    async recordSwept(day) {
      // Only forward: a slower sweep that started earlier never moves the record back.
      await updateIf(table, {
        Key: sweepStateKey,
        ConditionExpression: 'attribute_not_exists(sweptThrough) OR sweptThrough < :day',
        UpdateExpression: 'SET sweptThrough = :day',
        ExpressionAttributeValues: { ':day': day },
      });
    },
  };
}
