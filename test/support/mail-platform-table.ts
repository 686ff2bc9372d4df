import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Table } from '../../functions/adapters/dynamodb/table.ts';
import { platformAccountKey } from '../../functions/adapters/dynamodb-mail-platform.ts';
import type { SpaceInUse } from '../../functions/domain/renewal-plan.ts';
import { LOCAL_REGION } from '../../local/template.ts';

/*
 * The mail platform's side of the table, as the PEC mail servers would write it: the space each
 * account uses. The tests set it directly in the table (there is no route for it, in AWS or
 * locally), as the servers do when they store and archive messages.
 */

/** The table of a running local runtime, for a test to read and write the platform's items. */
export function localRuntimeTable(dynamoDb: { endpoint: string; tableName: string }): Table & { close(): void } {
  const client = new DynamoDBClient({
    endpoint: dynamoDb.endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    tableName: dynamoDb.tableName,
    close: () => client.destroy(),
  };
}

/** Records the space an existing account uses, as the mail servers report it. */
export async function setSpaceInUse(table: Table, address: string, usage: SpaceInUse): Promise<void> {
  await table.client.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: platformAccountKey(address),
      ConditionExpression: 'attribute_exists(pk)',
      UpdateExpression: 'SET mailboxBytes = :mailboxBytes, archiveBytes = :archiveBytes',
      ExpressionAttributeValues: { ':mailboxBytes': usage.mailboxBytes, ':archiveBytes': usage.archiveBytes },
    }),
  );
}

/** An account's item as the platform keeps it (quota, state, usage), or undefined. */
export async function platformAccount(table: Table, address: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: platformAccountKey(address), ConsistentRead: true }),
  );
  return Item;
}
