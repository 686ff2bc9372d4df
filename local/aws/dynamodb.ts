import { createHash, randomUUID } from 'node:crypto';
import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { Worker } from 'node:worker_threads';
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type Projection,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { closeServer, listen, readBody } from './http-util.ts';

/*
 * Local stand-in for DynamoDB: dynalite 4 (in memory), behind a small proxy that adds what dynalite lacks and the
 * production code may use: TransactWriteItems and TransactGetItems (serialised against every other request, with
 * the conditions checked by dynalite itself and a rollback if a write fails, so they are atomic and isolated).
 * Point `@aws-sdk/client-dynamodb` at `endpoint` with `AWS_ENDPOINT_URL_DYNAMODB`.
 */

export type LocalDynamoDb = { endpoint: string; stop(): Promise<void> };

type Json = Record<string, unknown>;
type AttributeMap = Record<string, unknown>;

class DynamoError extends Error {
  readonly code: string;
  readonly extra: Json;
  readonly status: number;
  constructor(code: string, message: string, extra: Json = {}, status = 400) {
    super(message);
    this.code = code;
    this.extra = extra;
    this.status = status;
  }
}

/** Readers-writer lock, first come first served: plain requests share it, transactions take it alone. */
class RwLock {
  #shared = 0;
  #exclusive = false;
  readonly #queue: Array<{ exclusive: boolean; grant: () => void }> = [];

  async run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    await new Promise<void>((grant) => {
      this.#queue.push({ exclusive, grant });
      this.#drain();
    });
    try {
      return await work();
    } finally {
      if (exclusive) this.#exclusive = false;
      else this.#shared--;
      this.#drain();
    }
  }

  #drain(): void {
    for (let next = this.#queue[0]; next; next = this.#queue[0]) {
      if (this.#exclusive || (next.exclusive && this.#shared > 0)) return;
      this.#queue.shift();
      if (next.exclusive) this.#exclusive = true;
      else this.#shared++;
      next.grant();
      if (this.#exclusive) return;
    }
  }
}

const SINGLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem'].map((op) => `DynamoDB_20120810.${op}`));

/** The table and item of a PutItem / UpdateItem / DeleteItem asking for `ReturnValuesOnConditionCheckFailure: ALL_OLD`. */
const returnsOldItemOnFailure = (
  body: Buffer,
): { TableName: string; Key?: AttributeMap; Item?: AttributeMap } | undefined => {
  try {
    const input = JSON.parse(body.toString('utf8')) as Json;
    if (input.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD' || typeof input.TableName !== 'string')
      return undefined;
    return {
      TableName: input.TableName,
      ...(isMap(input.Key) ? { Key: input.Key } : {}),
      ...(isMap(input.Item) ? { Item: input.Item } : {}),
    };
  } catch {
    return undefined;
  }
};

const isMap = (value: unknown): value is AttributeMap =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const FAKE_AUTH =
  'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0';

/** `#name` and `:value` placeholders used by some expressions, to drop the unused ones (dynalite rejects them). */
const pickPlaceholders = (expressions: Array<unknown>, names: unknown, values: unknown): Json => {
  const text = expressions.filter((e): e is string => typeof e === 'string').join(' ');
  const usedNames = new Set(text.match(/#[A-Za-z0-9_]+/g) ?? []);
  const usedValues = new Set(text.match(/:[A-Za-z0-9_]+/g) ?? []);
  const out: Json = {};
  const filter = (map: unknown, used: Set<string>) =>
    Object.fromEntries(Object.entries((map ?? {}) as Json).filter(([placeholder]) => used.has(placeholder)));
  const keptNames = filter(names, usedNames);
  const keptValues = filter(values, usedValues);
  if (Object.keys(keptNames).length > 0) out.ExpressionAttributeNames = keptNames;
  if (Object.keys(keptValues).length > 0) out.ExpressionAttributeValues = keptValues;
  return out;
};

/**
 * Starts the DynamoDB stand-in in a worker thread of its own: the functions' many DynamoDB calls are
 * then served beside, not on, the thread that plays API Gateway and Step Functions.
 */
export const startDynamoDbThread = async (): Promise<LocalDynamoDb> => {
  const worker = new Worker(new URL('./dynamodb-thread.ts', import.meta.url));
  const endpoint = await new Promise<string>((resolve, reject) => {
    worker.once('message', (message: { endpoint: string }) => resolve(message.endpoint));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`The DynamoDB stand-in exited (${code})`)));
  });
  return {
    endpoint,
    stop: async () => {
      await worker.terminate();
    },
  };
};

/** Starts dynalite (in memory) and the proxy in front of it, both on 127.0.0.1; `endpoint` is the proxy's. */
export const startDynamoDb = async (options: { port?: number } = {}): Promise<LocalDynamoDb> => {
  const backend: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const backendUrl = new URL(await listen(backend));
  const agent = new Agent({ keepAlive: true });
  const lock = new RwLock();
  const keySchemas = new Map<string, string[]>();
  const idempotency = new Map<string, { hash: string; response: Json; at: number }>();

  const forward = (method: string, path: string, headers: IncomingMessage['headers'], body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const outgoing = request(
        { host: backendUrl.hostname, port: backendUrl.port, method, path, headers, agent },
        (response) => {
          readBody(response).then(
            (data) => resolve({ status: response.statusCode ?? 500, headers: response.headers, body: data }),
            reject,
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  /** One DynamoDB call straight to dynalite, in wire JSON. */
  const call = async (operation: string, input: Json): Promise<Json> => {
    const body = Buffer.from(JSON.stringify(input));
    const response = await forward(
      'POST',
      '/',
      {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        'x-amz-date': '20200101T000000Z',
        authorization: FAKE_AUTH,
        'content-length': String(body.length),
      },
      body,
    );
    const json = (response.body.length > 0 ? JSON.parse(response.body.toString('utf8')) : {}) as Json;
    if (response.status !== 200) {
      const type = String(json.__type ?? 'InternalServerError');
      throw new DynamoError(
        type.slice(type.indexOf('#') + 1),
        String(json.message ?? json.Message ?? ''),
        {},
        response.status,
      );
    }
    return json;
  };

  const keyOf = async (tableName: string, item: AttributeMap): Promise<AttributeMap> => {
    let names = keySchemas.get(tableName);
    if (!names) {
      const description = await call('DescribeTable', { TableName: tableName });
      const table = description.Table as { KeySchema: KeySchemaElement[] };
      names = table.KeySchema.map((element) => element.AttributeName ?? '');
      keySchemas.set(tableName, names);
    }
    return Object.fromEntries(names.map((name) => [name, item[name]]));
  };

  type Operation = {
    kind: 'ConditionCheck' | 'Put' | 'Delete' | 'Update';
    input: Json;
    table: string;
    key: AttributeMap;
  };

  const transactWrite = async (input: Json): Promise<Json> => {
    const items = input.TransactItems;
    if (!Array.isArray(items) || items.length === 0 || items.length > 100) {
      throw new DynamoError(
        'ValidationException',
        "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and 100",
      );
    }
    const token = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined;
    const hash = createHash('sha256').update(JSON.stringify(items)).digest('hex');
    if (token) {
      const previous = idempotency.get(token);
      if (previous && Date.now() - previous.at < 10 * 60_000) {
        if (previous.hash !== hash) {
          throw new DynamoError(
            'IdempotentParameterMismatchException',
            'The request uses the same client token as a previous, but non-identical request.',
          );
        }
        return previous.response;
      }
    }
    const operations: Operation[] = [];
    const seen = new Set<string>();
    for (const entry of items as Json[]) {
      const kinds = (['ConditionCheck', 'Put', 'Delete', 'Update'] as const).filter(
        (kind) => entry[kind] !== undefined,
      );
      const kind = kinds[0];
      if (kinds.length !== 1 || !kind) {
        throw new DynamoError(
          'ValidationException',
          'TransactItems can only contain one of Check, Put, Update or Delete',
        );
      }
      const operation = entry[kind] as Json;
      const table = String(operation.TableName ?? '');
      const key =
        kind === 'Put' ? await keyOf(table, operation.Item as AttributeMap) : ((operation.Key ?? {}) as AttributeMap);
      const identity = `${table}\u0000${JSON.stringify(Object.entries(key).sort(([a], [b]) => a.localeCompare(b)))}`;
      if (seen.has(identity)) {
        throw new DynamoError(
          'ValidationException',
          'Transaction request cannot include multiple operations on one item',
        );
      }
      seen.add(identity);
      operations.push({ kind, input: operation, table, key });
    }

    // Phase 1: snapshot every target item and check every condition, writing nothing.
    const snapshots: Array<AttributeMap | undefined> = [];
    const reasons: Json[] = [];
    for (const operation of operations) {
      const current = (await call('GetItem', { TableName: operation.table, Key: operation.key, ConsistentRead: true }))
        .Item as AttributeMap | undefined;
      snapshots.push(current);
      const condition = operation.input.ConditionExpression;
      if (condition === undefined) {
        reasons.push({ Code: 'None' });
        continue;
      }
      const placeholders = pickPlaceholders(
        [condition],
        operation.input.ExpressionAttributeNames,
        operation.input.ExpressionAttributeValues,
      );
      try {
        // Both calls leave the item as it is: they only make dynalite evaluate the condition.
        if (current) {
          await call('PutItem', {
            TableName: operation.table,
            Item: current,
            ConditionExpression: condition,
            ...placeholders,
          });
        } else {
          await call('DeleteItem', {
            TableName: operation.table,
            Key: operation.key,
            ConditionExpression: condition,
            ...placeholders,
          });
        }
        reasons.push({ Code: 'None' });
      } catch (error) {
        if (!(error instanceof DynamoError) || error.code !== 'ConditionalCheckFailedException') throw error;
        reasons.push({
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
          ...(current && operation.input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item: current } : {}),
        });
      }
    }
    if (reasons.some((reason) => reason.Code !== 'None')) {
      throw new DynamoError(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        { CancellationReasons: reasons },
      );
    }

    // Phase 2: apply, undoing what was applied if a write fails.
    let applied = 0;
    try {
      for (const operation of operations) {
        const { input: op, table, key } = operation;
        if (operation.kind === 'Put') await call('PutItem', { TableName: table, Item: op.Item });
        if (operation.kind === 'Delete') await call('DeleteItem', { TableName: table, Key: key });
        if (operation.kind === 'Update') {
          await call('UpdateItem', {
            TableName: table,
            Key: key,
            UpdateExpression: op.UpdateExpression,
            ...pickPlaceholders([op.UpdateExpression], op.ExpressionAttributeNames, op.ExpressionAttributeValues),
          });
        }
        applied++;
      }
    } catch (error) {
      for (let i = applied - 1; i >= 0; i--) {
        const operation = operations[i] as Operation;
        const snapshot = snapshots[i];
        if (operation.kind === 'ConditionCheck') continue;
        if (snapshot) await call('PutItem', { TableName: operation.table, Item: snapshot });
        else await call('DeleteItem', { TableName: operation.table, Key: operation.key });
      }
      throw error;
    }
    const response: Json = {};
    if (token) idempotency.set(token, { hash, response, at: Date.now() });
    return response;
  };

  const transactGet = async (input: Json): Promise<Json> => {
    const items = input.TransactItems;
    if (!Array.isArray(items) || items.length === 0 || items.length > 100) {
      throw new DynamoError(
        'ValidationException',
        "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and 100",
      );
    }
    const responses: Json[] = [];
    for (const entry of items as Json[]) {
      const get = entry.Get as Json | undefined;
      if (!get) throw new DynamoError('ValidationException', 'TransactItems can only contain Get');
      const result = await call('GetItem', {
        TableName: get.TableName,
        Key: get.Key,
        ConsistentRead: true,
        ...(get.ProjectionExpression ? { ProjectionExpression: get.ProjectionExpression } : {}),
        ...(get.ExpressionAttributeNames ? { ExpressionAttributeNames: get.ExpressionAttributeNames } : {}),
      });
      responses.push(result.Item ? { Item: result.Item } : {});
    }
    return { Responses: responses };
  };

  const sendJson = (res: ServerResponse, status: number, json: Json): void => {
    const body = JSON.stringify(json);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const local =
      target === 'DynamoDB_20120810.TransactWriteItems'
        ? transactWrite
        : target === 'DynamoDB_20120810.TransactGetItems'
          ? transactGet
          : undefined;
    if (!local) {
      const returnOld = SINGLE_WRITES.has(target) ? returnsOldItemOnFailure(body) : undefined;
      if (returnOld) {
        // dynalite ignores ReturnValuesOnConditionCheckFailure: add the item to the error, reading it atomically.
        const json = await lock.run(true, async () => {
          const response = await forward(req.method ?? 'POST', req.url ?? '/', req.headers, body);
          const parsed = JSON.parse(response.body.toString('utf8') || '{}') as Json;
          if (!String(parsed.__type ?? '').endsWith('#ConditionalCheckFailedException')) return { response };
          const key = returnOld.Key ?? (await keyOf(returnOld.TableName, returnOld.Item ?? {}));
          const current = await call('GetItem', { TableName: returnOld.TableName, Key: key, ConsistentRead: true });
          return { response, error: { ...parsed, ...(current.Item ? { Item: current.Item } : {}) } };
        });
        if (json.error) sendJson(res, json.response.status, json.error);
        else {
          res.writeHead(json.response.status, json.response.headers);
          res.end(json.response.body);
        }
        return;
      }
      const response = await lock.run(false, () => forward(req.method ?? 'POST', req.url ?? '/', req.headers, body));
      res.writeHead(response.status, response.headers);
      res.end(response.body);
      return;
    }
    let input: Json;
    try {
      input = JSON.parse(body.toString('utf8')) as Json;
    } catch {
      sendJson(res, 400, { __type: 'com.amazon.coral.service#SerializationException' });
      return;
    }
    try {
      sendJson(res, 200, await lock.run(true, () => local(input)));
    } catch (error) {
      if (!(error instanceof DynamoError)) throw error;
      sendJson(res, error.status, {
        __type: `com.amazonaws.dynamodb.v20120810#${error.code}`,
        message: error.message,
        ...error.extra,
      });
    }
  };

  const proxy = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else
        sendJson(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) });
    });
  });
  const endpoint = await listen(proxy, options.port);

  return {
    endpoint,
    stop: async () => {
      await closeServer(proxy);
      agent.destroy();
      await closeServer(backend);
    },
  };
};

const DEFAULT_THROUGHPUT = { ReadCapacityUnits: 1000, WriteCapacityUnits: 1000 };

const projectionOf = (projection: unknown): Projection => {
  const p = (projection ?? { ProjectionType: 'ALL' }) as Projection;
  return {
    ProjectionType: p.ProjectionType ?? 'ALL',
    ...(p.NonKeyAttributes ? { NonKeyAttributes: p.NonKeyAttributes } : {}),
  };
};

/**
 * The CreateTable input for the `Properties` of an `AWS::DynamoDB::Table` or `AWS::DynamoDB::GlobalTable` resource
 * as CDK synthesizes it, keeping what dynalite supports (keys, attributes, indexes, billing mode) and dropping the
 * rest (SSE, PITR, TTL, streams, deletion protection, tags, contributor insights, replicas, table class, ...).
 */
export const createTableInputFromTemplate = (
  tableName: string,
  properties: Record<string, unknown>,
): CreateTableCommandInput => {
  const onDemand = properties.BillingMode === 'PAY_PER_REQUEST';
  const throughputOf = (value: unknown) => {
    const given = value as { ReadCapacityUnits?: number; WriteCapacityUnits?: number } | undefined;
    return given?.ReadCapacityUnits && given.WriteCapacityUnits
      ? { ReadCapacityUnits: Number(given.ReadCapacityUnits), WriteCapacityUnits: Number(given.WriteCapacityUnits) }
      : DEFAULT_THROUGHPUT;
  };
  const gsis = ((properties.GlobalSecondaryIndexes ?? []) as Array<Record<string, unknown>>).map(
    (index): GlobalSecondaryIndex => ({
      IndexName: index.IndexName as string,
      KeySchema: index.KeySchema as KeySchemaElement[],
      Projection: projectionOf(index.Projection),
      ...(onDemand ? {} : { ProvisionedThroughput: throughputOf(index.ProvisionedThroughput) }),
    }),
  );
  const lsis = ((properties.LocalSecondaryIndexes ?? []) as Array<Record<string, unknown>>).map(
    (index): LocalSecondaryIndex => ({
      IndexName: index.IndexName as string,
      KeySchema: index.KeySchema as KeySchemaElement[],
      Projection: projectionOf(index.Projection),
    }),
  );
  return {
    TableName: tableName,
    KeySchema: properties.KeySchema as KeySchemaElement[],
    AttributeDefinitions: properties.AttributeDefinitions as AttributeDefinition[],
    ...(onDemand
      ? { BillingMode: 'PAY_PER_REQUEST' }
      : { BillingMode: 'PROVISIONED', ProvisionedThroughput: throughputOf(properties.ProvisionedThroughput) }),
    ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis } : {}),
    ...(lsis.length > 0 ? { LocalSecondaryIndexes: lsis } : {}),
  };
};

/** Creates the table described by a CloudFormation `AWS::DynamoDB::(Global)Table` resource's `Properties`, waits until ACTIVE. */
export const createTableFromTemplate = async (
  endpoint: string,
  tableName: string,
  properties: Record<string, unknown>,
): Promise<void> => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(new CreateTableCommand(createTableInputFromTemplate(tableName, properties)));
    for (;;) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
      if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    client.destroy();
  }
};

/** The `AWS::DynamoDB::Table` and `AWS::DynamoDB::GlobalTable` resources of a synthesized CloudFormation template. */
export const dynamoDbTablesOf = (template: {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
}): Array<{ logicalId: string; properties: Record<string, unknown> }> =>
  Object.entries(template.Resources ?? {})
    .filter(
      ([, resource]) => resource.Type === 'AWS::DynamoDB::Table' || resource.Type === 'AWS::DynamoDB::GlobalTable',
    )
    .map(([logicalId, resource]) => ({ logicalId, properties: resource.Properties ?? {} }));
