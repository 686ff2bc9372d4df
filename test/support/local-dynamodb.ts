import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoAccessTokenRepository } from '../../functions/adapters/dynamodb/access-token-repository.ts';
import { dynamoMailboxRepository } from '../../functions/adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../../functions/adapters/dynamodb/order-repository.ts';
import { dynamoPaymentEventRepository } from '../../functions/adapters/dynamodb/payment-event-repository.ts';
import { dynamoRateLimiter } from '../../functions/adapters/dynamodb/rate-limiter.ts';
import { dynamoResellerRepository } from '../../functions/adapters/dynamodb/reseller-repository.ts';
import type { Table } from '../../functions/adapters/dynamodb/table.ts';
import { dynamoMailPlatform } from '../../functions/adapters/dynamodb-mail-platform.ts';
import { createTableFromTemplate, startDynamoDb } from '../../local/aws/dynamodb.ts';
import { LOCAL_REGION, synthesizeApp, tableOf } from '../../local/template.ts';

/** The table, as the DynamoDB adapters are built from (`dynamoOrderRepository(table)`...). */
export interface LocalTable extends Table {
  /** A client of its own, to read items as they are stored, keys and all. */
  documents: DynamoDBDocumentClient;
  /** The raw item under a key, or undefined. */
  item(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined>;
  /** Every item of the table. */
  scan(): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/**
 * Starts the local DynamoDB with the product's table, created from the synthesized stateful stack (so the tests run
 * against the keys and indexes `cdk deploy` would create). The adapters are built on it with their factories.
 */
export async function startLocalTable(tableName = 'pec-test'): Promise<LocalTable> {
  const dynamo = await startDynamoDb();
  await createTableFromTemplate(dynamo.endpoint, tableName, tableOf(synthesizeApp().stateful).properties);
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    tableName,
    client: documents,
    documents,
    async item(key) {
      const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      return Item;
    },
    async scan() {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    },
    async stop() {
      client.destroy();
      await dynamo.stop();
    },
  };
}

/** Every DynamoDB adapter of the product, built on one table. */
export const dynamoAdapters = (table: Table) => ({
  orders: dynamoOrderRepository(table),
  mailboxes: dynamoMailboxRepository(table),
  tokens: dynamoAccessTokenRepository(table),
  limiter: dynamoRateLimiter(table),
  events: dynamoPaymentEventRepository(table),
  platform: dynamoMailPlatform(table),
  resellers: dynamoResellerRepository(table),
});
