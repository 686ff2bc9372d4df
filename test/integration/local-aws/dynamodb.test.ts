import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactGetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableFromTemplate, type LocalDynamoDb, startDynamoDb } from '../../../local/aws/dynamodb.ts';

/** `Properties` of an `AWS::DynamoDB::Table` as CDK synthesizes it, with everything dynalite does not support. */
const tableProperties = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
  GlobalSecondaryIndexes: [
    {
      IndexName: 'gsi1',
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
      ContributorInsightsSpecification: { Enabled: true },
    },
  ],
  PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  SSESpecification: { SSEEnabled: true },
  StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
  TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
  DeletionProtectionEnabled: true,
  ContributorInsightsSpecification: { Enabled: true },
  TableClass: 'STANDARD',
  Tags: [{ Key: 'project', Value: 'pec-provisioning' }],
};

/** `Properties` of an `AWS::DynamoDB::GlobalTable` (CDK TableV2). */
const globalTableProperties = {
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  BillingMode: 'PAY_PER_REQUEST',
  StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
  Replicas: [{ Region: 'eu-south-1', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
  SSESpecification: { SSEEnabled: false },
  TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
};

let dynamo: LocalDynamoDb;
let client: DynamoDBClient;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamo = await startDynamoDb();
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-south-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  await createTableFromTemplate(dynamo.endpoint, 'orders', tableProperties);
  await createTableFromTemplate(dynamo.endpoint, 'keys', globalTableProperties);
});

afterAll(async () => {
  client.destroy();
  await dynamo.stop();
});

const cancellationCodes = async (promise: Promise<unknown>): Promise<string[] | string> =>
  promise.then(
    () => 'no error',
    (error: Error) =>
      error instanceof TransactionCanceledException
        ? (error.CancellationReasons ?? []).map((reason) => reason.Code ?? '')
        : error.name,
  );

describe('local DynamoDB', () => {
  it('creates tables from CloudFormation properties, active, with their indexes', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'orders' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.KeySchema).toEqual(tableProperties.KeySchema);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.IndexStatus])).toEqual([
      ['gsi1', 'ACTIVE'],
    ]);
    const global = await client.send(new DescribeTableCommand({ TableName: 'keys' }));
    expect(global.Table?.TableStatus).toBe('ACTIVE');
  });

  it('rejects a conditional PutItem whose condition fails', async () => {
    const put = () =>
      client.send(
        new PutItemCommand({
          TableName: 'orders',
          Item: { pk: { S: 'ADDRESS#mario@pec.it' }, sk: { S: 'ADDRESS' }, orderId: { S: 'ord_1' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    await expect(put()).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    const withOldItem = client.send(
      new PutItemCommand({
        TableName: 'orders',
        Item: { pk: { S: 'ADDRESS#mario@pec.it' }, sk: { S: 'ADDRESS' }, orderId: { S: 'ord_2' } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    await expect(withOldItem).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
      Item: { pk: { S: 'ADDRESS#mario@pec.it' }, sk: { S: 'ADDRESS' }, orderId: { S: 'ord_1' } },
    });
  });

  it('serves the document client, queries on a GSI included', async () => {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: 'orders',
              Item: { pk: 'ORDER#2', sk: 'ORDER', gsi1pk: 'STATUS#paid', gsi1sk: '2025-01-01' },
            },
          },
          {
            Put: {
              TableName: 'orders',
              Item: { pk: 'ORDER#3', sk: 'ORDER', gsi1pk: 'STATUS#paid', gsi1sk: '2025-01-02' },
            },
          },
        ],
      }),
    );
    const paid = await documents.send(
      new QueryCommand({
        TableName: 'orders',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :s',
        ExpressionAttributeValues: { ':s': 'STATUS#paid' },
      }),
    );
    expect(paid.Items?.map((item) => item.pk)).toEqual(['ORDER#2', 'ORDER#3']);
    const both = await documents.send(
      new TransactGetCommand({
        TransactItems: [
          { Get: { TableName: 'orders', Key: { pk: 'ORDER#2', sk: 'ORDER' } } },
          { Get: { TableName: 'orders', Key: { pk: 'ORDER#404', sk: 'ORDER' } } },
        ],
      }),
    );
    expect(both.Responses?.map((response) => response.Item?.pk)).toEqual(['ORDER#2', undefined]);
  });

  it('cancels a whole TransactWriteItems when one condition fails, with the reasons', async () => {
    await documents.send(
      new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'keys', Item: { id: 'idem-1', n: 1 } } }] }),
    );
    const attempt = documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: 'orders',
              Item: { pk: 'ORDER#9', sk: 'ORDER' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: 'keys',
              Key: { id: 'idem-1' },
              UpdateExpression: 'SET #n = #n + :one',
              ConditionExpression: 'attribute_not_exists(id)',
              ExpressionAttributeNames: { '#n': 'n' },
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    );
    expect(await cancellationCodes(attempt)).toEqual(['None', 'ConditionalCheckFailed']);
    expect(
      (await documents.send(new GetCommand({ TableName: 'orders', Key: { pk: 'ORDER#9', sk: 'ORDER' } }))).Item,
    ).toBeUndefined();
    expect((await documents.send(new GetCommand({ TableName: 'keys', Key: { id: 'idem-1' } }))).Item).toEqual({
      id: 'idem-1',
      n: 1,
    });
  });

  it('applies every write of a TransactWriteItems whose conditions hold', async () => {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: 'orders',
              Item: { pk: 'ORDER#10', sk: 'ORDER' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: 'keys',
              Key: { id: 'idem-1' },
              UpdateExpression: 'SET #n = #n + :one',
              ConditionExpression: '#n = :expected',
              ExpressionAttributeNames: { '#n': 'n' },
              ExpressionAttributeValues: { ':one': 1, ':expected': 1 },
            },
          },
          {
            ConditionCheck: {
              TableName: 'orders',
              Key: { pk: 'ADDRESS#mario@pec.it', sk: 'ADDRESS' },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        ],
      }),
    );
    expect((await documents.send(new GetCommand({ TableName: 'keys', Key: { id: 'idem-1' } }))).Item).toEqual({
      id: 'idem-1',
      n: 2,
    });
    expect(
      (await documents.send(new GetCommand({ TableName: 'orders', Key: { pk: 'ORDER#10', sk: 'ORDER' } }))).Item,
    ).toBeDefined();
  });

  it('undoes the writes already applied when a later write of the transaction fails', async () => {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [{ Put: { TableName: 'keys', Item: { id: 'text', n: 'not a number' } } }],
      }),
    );
    const attempt = documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'orders', Item: { pk: 'ORDER#11', sk: 'ORDER' } } },
          {
            Update: {
              TableName: 'keys',
              Key: { id: 'text' },
              UpdateExpression: 'SET n = n + :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    );
    await expect(attempt).rejects.toMatchObject({ name: 'ValidationException' });
    expect(
      (await documents.send(new GetCommand({ TableName: 'orders', Key: { pk: 'ORDER#11', sk: 'ORDER' } }))).Item,
    ).toBeUndefined();
  });

  it('refuses two operations on the same item in one transaction', async () => {
    const attempt = documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'keys', Item: { id: 'twice' } } },
          { Delete: { TableName: 'keys', Key: { id: 'twice' } } },
        ],
      }),
    );
    await expect(attempt).rejects.toMatchObject({ name: 'ValidationException' });
    const item = await client.send(new GetItemCommand({ TableName: 'keys', Key: { id: { S: 'twice' } } }));
    expect(item.Item).toBeUndefined();
  });
});
