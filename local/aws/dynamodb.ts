import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { withTransactions } from './dynamodb-transactions.ts';
import { closeServer, listen } from './http-util.ts';
import { type LocalService, startInThread } from './thread.ts';

/*
 * Local stand-in for DynamoDB: dynalite (in memory). It serves every call the repositories make
 * (GetItem, PutItem, UpdateItem, DeleteItem and Query, with condition expressions); transactions,
 * which dynalite lacks, are served in front of it (`dynamodb-transactions.ts`).
 */

/** Starts dynalite on 127.0.0.1 in this thread (the integration tests' table). */
export async function startDynamoDb(): Promise<LocalService> {
  const server = withTransactions(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
  return { endpoint: await listen(server), stop: () => closeServer(server) };
}

/** Starts dynalite in a worker thread of its own (`dynamodb-thread.ts`): the local runtime's table. */
export const startDynamoDbThread = (): Promise<LocalService> =>
  startInThread(new URL('./dynamodb-thread.ts', import.meta.url));

/**
 * Creates the table an `AWS::DynamoDB::GlobalTable` (or `Table`) resource of the synthesized template
 * describes, with its keys and global secondary indexes (encryption, recovery, streams and the like
 * have no local meaning), and waits until it and its indexes are ACTIVE.
 */
export async function createTableFromTemplate(
  endpoint: string,
  tableName: string,
  properties: Record<string, unknown>,
): Promise<void> {
  const indexes = (properties.GlobalSecondaryIndexes ?? []) as GlobalSecondaryIndex[];
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: properties.KeySchema as KeySchemaElement[],
        AttributeDefinitions: properties.AttributeDefinitions as AttributeDefinition[],
        BillingMode: 'PAY_PER_REQUEST',
        ...(indexes.length > 0
          ? {
              GlobalSecondaryIndexes: indexes.map(({ IndexName, KeySchema, Projection }) => ({
                IndexName,
                KeySchema,
                Projection,
              })),
            }
          : {}),
      }),
    );
    for (;;) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
      if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    client.destroy();
  }
}
