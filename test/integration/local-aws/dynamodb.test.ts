import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableFromTemplate, startDynamoDbThread } from '../../../local/aws/dynamodb.ts';
import type { LocalService } from '../../../local/aws/thread.ts';
import { synthesizeApp, tableOf } from '../../../local/template.ts';

let dynamo: LocalService;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynamoDbThread();
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-south-1',
    credentials: { accessKeyId: 'local-place-order', secretAccessKey: 'local' },
  });
  await createTableFromTemplate(dynamo.endpoint, 'pec', tableOf(synthesizeApp().stateful).properties);
});

afterAll(async () => {
  client.destroy();
  await dynamo.stop();
});

describe('local DynamoDB (dynalite, in its own thread)', () => {
  it("creates the synthesized template's table, active, with its keys and its indexes", async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'pec' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema?.map((key) => key.AttributeName)).toEqual(['pk', 'sk']);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.IndexStatus])).toEqual([
      ['byExpiry', 'ACTIVE'],
      ['byStorefront', 'ACTIVE'],
      ['byStorefrontStatus', 'ACTIVE'],
      ['byStorefrontExpiry', 'ACTIVE'],
      ['byAttention', 'ACTIVE'],
      ['byDueDay', 'ACTIVE'],
    ]);
  });

  it('refuses a conditional write whose condition fails', async () => {
    const put = () =>
      client.send(
        new PutItemCommand({
          TableName: 'pec',
          Item: { pk: { S: 'ADDRESS#mario@pec.it' }, sk: { S: 'ADDRESS' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    await expect(put()).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });
});
