import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { vi } from 'vitest';
import { createTableFromTemplate, startDynamoDb } from '../../local/aws/dynamodb.ts';
import { LOCAL_REGION, synthesizeApp, tableOf } from '../../local/template.ts';

export interface LocalTable {
  tableName: string;
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
 * against the keys and indexes `cdk deploy` would create), and points the standard AWS environment at it.
 *
 * Call it before importing any adapter: `clients/*.ts` and `dynamodb/table.ts` read the environment when they load,
 * so the adapters must be imported dynamically afterwards.
 */
export async function startLocalTable(tableName = 'pec-test'): Promise<LocalTable> {
  const dynamo = await startDynamoDb();
  await createTableFromTemplate(dynamo.endpoint, tableName, tableOf(synthesizeApp().stateful).properties);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
  vi.stubEnv('AWS_REGION', LOCAL_REGION);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  vi.stubEnv('TABLE_NAME', tableName);

  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = DynamoDBDocumentClient.from(client);
  return {
    tableName,
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
      vi.unstubAllEnvs();
    },
  };
}
