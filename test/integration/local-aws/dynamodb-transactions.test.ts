import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  IdempotentParameterMismatchException,
  QueryCommand,
  TransactGetItemsCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDb } from '../../../local/aws/dynamodb.ts';
import type { LocalService } from '../../../local/aws/thread.ts';

let dynamo: LocalService;
let client: DynamoDBClient;
const TableName = 'ledger';

beforeAll(async () => {
  dynamo = await startDynamoDb();
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-south-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(
    new CreateTableCommand({
      TableName,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(async () => {
  client.destroy();
  await dynamo.stop();
});

const account = (pk: string, balance: number): TransactWriteItem => ({
  Put: { TableName, Item: { pk: { S: pk }, sk: { S: 'balance' }, balance: { N: String(balance) } } },
});

/** A debit as a ledger would write it: the balance lowered only if it stays at or above zero, and the movement. */
const debit = (pk: string, id: string, cents: number): TransactWriteItem[] => [
  {
    Update: {
      TableName,
      Key: { pk: { S: pk }, sk: { S: 'balance' } },
      UpdateExpression: 'SET balance = balance - :cents',
      ConditionExpression: 'balance >= :cents',
      ExpressionAttributeValues: { ':cents': { N: String(cents) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  },
  {
    Put: {
      TableName,
      Item: { pk: { S: pk }, sk: { S: `movement#${id}` }, cents: { N: String(-cents) } },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  },
];

const balanceOf = async (pk: string) => {
  const { Item } = await client.send(
    new GetItemCommand({ TableName, Key: { pk: { S: pk }, sk: { S: 'balance' } }, ConsistentRead: true }),
  );
  return Number(Item?.balance?.N);
};

const movementsOf = async (pk: string) => {
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :movement)',
      ExpressionAttributeValues: { ':pk': { S: pk }, ':movement': { S: 'movement#' } },
    }),
  );
  return Items.map((item) => item.sk?.S);
};

const cancellationOf = async (request: Promise<unknown>) => {
  const error = await request.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TransactionCanceledException);
  return error as TransactionCanceledException;
};

describe('local DynamoDB transactions (in front of dynalite)', () => {
  it('applies every write of a transaction whose conditions hold', async () => {
    await client.send(new TransactWriteItemsCommand({ TransactItems: [account('a', 1000)] }));
    await client.send(new TransactWriteItemsCommand({ TransactItems: debit('a', 'one', 300) }));
    expect(await balanceOf('a')).toBe(700);
    expect(await movementsOf('a')).toEqual(['movement#one']);
  });

  it('cancels the whole transaction when one condition fails, with one reason per item in order', async () => {
    await client.send(new TransactWriteItemsCommand({ TransactItems: [account('b', 100)] }));
    const error = await cancellationOf(
      client.send(new TransactWriteItemsCommand({ TransactItems: debit('b', 'x', 250) })),
    );
    expect(error.CancellationReasons?.map((reason) => reason.Code)).toEqual(['ConditionalCheckFailed', 'None']);
    expect(error.CancellationReasons?.[0]?.Item?.balance).toEqual({ N: '100' });
    expect(await balanceOf('b')).toBe(100);
    expect(await movementsOf('b')).toEqual([]);
  });

  it('writes nothing when a later item condition fails (the movement exists already)', async () => {
    await client.send(new TransactWriteItemsCommand({ TransactItems: [account('c', 1000)] }));
    await client.send(new TransactWriteItemsCommand({ TransactItems: debit('c', 'same', 100) }));
    const error = await cancellationOf(
      client.send(new TransactWriteItemsCommand({ TransactItems: debit('c', 'same', 100) })),
    );
    expect(error.CancellationReasons?.map((reason) => reason.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    expect(await balanceOf('c')).toBe(900);
  });

  it('puts back what it wrote when a later update does not apply to its item', async () => {
    await client.send(new TransactWriteItemsCommand({ TransactItems: [account('d', 500)] }));
    const error = await cancellationOf(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            account('d', 0),
            {
              Update: {
                TableName,
                Key: { pk: { S: 'd' }, sk: { S: 'missing' } },
                UpdateExpression: 'SET total = total + :one',
                ExpressionAttributeValues: { ':one': { N: '1' } },
              },
            },
          ],
        }),
      ),
    );
    expect(error.CancellationReasons?.map((reason) => reason.Code)).toEqual(['None', 'ValidationError']);
    expect(await balanceOf('d')).toBe(500);
  });

  it('never lets concurrent debits take the balance below zero', async () => {
    await client.send(new TransactWriteItemsCommand({ TransactItems: [account('e', 1000)] }));
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) =>
        client.send(new TransactWriteItemsCommand({ TransactItems: debit('e', `m${i}`, 100) })),
      ),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(10);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(TransactionCanceledException);
    }
    expect(await balanceOf('e')).toBe(0);
    expect(await movementsOf('e')).toHaveLength(10);
  });

  it('answers a repeated client request token once, and refuses the token for another request', async () => {
    await client.send(new TransactWriteItemsCommand({ TransactItems: [account('f', 1000)] }));
    const request = { TransactItems: debit('f', 'once', 100), ClientRequestToken: 'token-f' };
    await client.send(new TransactWriteItemsCommand(request));
    await client.send(new TransactWriteItemsCommand(request));
    expect(await balanceOf('f')).toBe(900);
    await expect(
      client.send(new TransactWriteItemsCommand({ ...request, TransactItems: debit('f', 'other', 100) })),
    ).rejects.toBeInstanceOf(IdempotentParameterMismatchException);
  });

  it('refuses two operations on one item', async () => {
    const key = { pk: { S: 'g' }, sk: { S: 'balance' } };
    await expect(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Delete: { TableName, Key: key } },
            { ConditionCheck: { TableName, Key: key, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('reads several items at once, in the order asked', async () => {
    await client.send(new TransactWriteItemsCommand({ TransactItems: [account('h', 1), account('i', 2)] }));
    const { Responses } = await client.send(
      new TransactGetItemsCommand({
        TransactItems: ['i', 'nobody', 'h'].map((pk) => ({
          Get: { TableName, Key: { pk: { S: pk }, sk: { S: 'balance' } } },
        })),
      }),
    );
    expect(Responses?.map((response) => response.Item?.balance?.N)).toEqual(['2', undefined, '1']);
  });
});
