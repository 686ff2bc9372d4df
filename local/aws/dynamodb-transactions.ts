import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { readBody } from './http-util.ts';

/*
 * DynamoDB transactions for dynalite, which has none (architect/dynalite#98): TransactWriteItems and
 * TransactGetItems, served in front of dynalite's own handler on the same server.
 *
 * Isolation: every other request holds a shared lock while dynalite serves it, a transaction holds it
 * exclusively, so nothing reads or writes between a transaction's first and last write (DynamoDB's
 * transactions are serializable with respect to single-item reads and writes). A transaction:
 * 1. checks every item's condition with a write that changes nothing (its item put back as it is, or a
 *    delete of an item that is not there), so dynalite evaluates the condition expression itself;
 * 2. if one fails: TransactionCanceledException with one reason per item (`ConditionalCheckFailed` or
 *    `None`, in order), nothing written;
 * 3. otherwise applies the writes without their conditions (they hold: nothing else ran); a write
 *    dynalite refuses (an update expression that does not apply to the item) puts back the items
 *    written so far, and the transaction is cancelled with `ValidationError` for that item.
 * A ClientRequestToken answers the same success again for ten minutes, and
 * IdempotentParameterMismatchException for another request. Since transactions run one at a time,
 * there are never TransactionConflict cancellations locally (DynamoDB has them under contention).
 */

type AttributeMap = Record<string, unknown>;
interface Operation {
  TableName: string;
  Key?: AttributeMap;
  Item?: AttributeMap;
  ConditionExpression?: string;
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: AttributeMap;
  ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE';
}
type Kind = 'ConditionCheck' | 'Put' | 'Delete' | 'Update';
type TransactItem = Partial<Record<Kind, Operation>>;
interface Reason {
  Code: string;
  Message?: string;
  Item?: AttributeMap;
}

const TARGET = 'DynamoDB_20120810.';
const INTERNAL = `x-local-transaction-${randomUUID()}`;
const TOKEN_TTL_MS = 10 * 60 * 1000;

/** Serves transactions on dynalite's `server` (see above); answers the server. */
export function withTransactions(server: Server): Server {
  const [dynalite] = server.listeners('request') as RequestListener[];
  if (!dynalite) throw new Error('dynalite has no request handler to put transactions in front of');
  server.removeAllListeners('request');
  const lock = new ReadWriteLock();
  const tokens = new Map<string, { hash: string; at: number }>();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.headers[INTERNAL]) {
      dynalite(req, res);
    } else if (target === `${TARGET}TransactWriteItems` || target === `${TARGET}TransactGetItems`) {
      void serveTransaction(req, res, target.slice(TARGET.length)).catch((error: unknown) =>
        send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error) }),
      );
    } else {
      void lock.shared(
        () =>
          new Promise<void>((resolve) => {
            res.once('close', resolve);
            dynalite(req, res);
          }),
      );
    }
  });

  async function serveTransaction(req: IncomingMessage, res: ServerResponse, action: string): Promise<void> {
    const input = JSON.parse((await readBody(req)).toString('utf8') || '{}') as {
      TransactItems?: unknown[];
      ClientRequestToken?: string;
    };
    const items = Array.isArray(input.TransactItems) ? input.TransactItems : [];
    const invalid = validate(items);
    if (invalid) {
      send(res, 400, { __type: 'com.amazon.coral.validate#ValidationException', message: invalid });
      return;
    }
    const call = internalCaller(server, req);
    if (action === 'TransactGetItems') {
      const responses = await lock.shared(() =>
        Promise.all(
          (items as { Get: Operation }[]).map(async ({ Get }) => {
            const { Item } = await call('GetItem', { ...Get, ConsistentRead: true });
            return Item ? { Item } : {};
          }),
        ),
      );
      send(res, 200, { Responses: responses });
      return;
    }
    const hash = createHash('sha256').update(JSON.stringify(items)).digest('hex');
    const answer = await lock.exclusive(async () => {
      const token = input.ClientRequestToken;
      if (token) {
        for (const [key, entry] of tokens) if (Date.now() - entry.at > TOKEN_TTL_MS) tokens.delete(key);
        const seen = tokens.get(token);
        if (seen && seen.hash !== hash) {
          return {
            status: 400,
            body: {
              __type: 'com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException',
              message: 'The request uses the same client token as a previous, but non-identical request.',
            },
          };
        }
        if (seen) return { status: 200, body: {} };
      }
      const cancelled = await transactWrite(call, items as TransactItem[]);
      if (cancelled) return { status: 400, body: cancelled };
      if (token) tokens.set(token, { hash, at: Date.now() });
      return { status: 200, body: {} };
    });
    send(res, answer.status, answer.body);
  }

  return server;
}

/** The request's problem, as DynamoDB words it, or undefined when it is well formed. */
function validate(items: unknown[]): string | undefined {
  if (items.length === 0 || items.length > 100) {
    return `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and 100`;
  }
  const seen = new Set<string>();
  for (const item of items) {
    const entries = Object.entries((item ?? {}) as Record<string, Operation | undefined>).filter(([, op]) => op);
    if (entries.length !== 1) return 'TransactItems can only contain one of Check, Put, Update or Delete';
    const [, op] = entries[0] as [string, Operation];
    const key = `${op.TableName}\n${JSON.stringify(op.Key ?? op.Item)}`;
    if (op.Key && seen.has(key)) return 'Transaction request cannot include multiple operations on one item';
    seen.add(key);
  }
  return undefined;
}

type Caller = (action: string, body: Record<string, unknown>) => Promise<Record<string, AttributeMap | undefined>>;

/** Runs the write transaction (under the exclusive lock); answers the cancellation, if any. */
async function transactWrite(call: Caller, items: TransactItem[]): Promise<Record<string, unknown> | undefined> {
  const ops = await Promise.all(
    items.map(async (item) => {
      const [kind, op] = Object.entries(item)[0] as [Kind, Operation];
      const key = op.Key ?? (await keyOf(call, op.TableName, op.Item ?? {}));
      const { Item: before } = await call('GetItem', { TableName: op.TableName, Key: key, ConsistentRead: true });
      return { kind, op, key, before };
    }),
  );

  // 1. Every condition, each on its item as it is now.
  const reasons: Reason[] = [];
  for (const { op, key, before } of ops) {
    if (!op.ConditionExpression) {
      reasons.push({ Code: 'None' });
      continue;
    }
    const condition = {
      TableName: op.TableName,
      ConditionExpression: op.ConditionExpression,
      ...usedBy(op.ConditionExpression, op),
    };
    try {
      await (before ? call('PutItem', { ...condition, Item: before }) : call('DeleteItem', { ...condition, Key: key }));
      reasons.push({ Code: 'None' });
    } catch (error) {
      if (!(error instanceof DynamoError) || error.type !== 'ConditionalCheckFailedException') throw error;
      reasons.push({
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        ...(op.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && before ? { Item: before } : {}),
      });
    }
  }
  if (reasons.some((reason) => reason.Code !== 'None')) return cancellation(reasons);

  // 2. The writes; one dynalite refuses puts back what was written before it.
  for (const [index, { kind, op, key }] of ops.entries()) {
    try {
      if (kind === 'Put') await call('PutItem', { TableName: op.TableName, Item: op.Item });
      else if (kind === 'Delete') await call('DeleteItem', { TableName: op.TableName, Key: key });
      else if (kind === 'Update') {
        const update = op.UpdateExpression ?? '';
        await call('UpdateItem', {
          TableName: op.TableName,
          Key: key,
          UpdateExpression: update,
          ...usedBy(update, op),
        });
      }
    } catch (error) {
      for (const done of ops.slice(0, index).reverse()) {
        await (done.before
          ? call('PutItem', { TableName: done.op.TableName, Item: done.before })
          : call('DeleteItem', { TableName: done.op.TableName, Key: done.key }));
      }
      if (!(error instanceof DynamoError) || error.type !== 'ValidationException') throw error;
      return cancellation(
        ops.map((_, i) => (i === index ? { Code: 'ValidationError', Message: error.message } : { Code: 'None' })),
      );
    }
  }
  return undefined;
}

/** The expression names and values `expression` uses (DynamoDB refuses unused ones). */
function usedBy(
  expression: string,
  op: Operation,
): Pick<Operation, 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const used = <T>(map: Record<string, T> | undefined) => {
    const kept = Object.entries(map ?? {}).filter(([name]) =>
      new RegExp(`${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`).test(expression),
    );
    return kept.length > 0 ? Object.fromEntries(kept) : undefined;
  };
  const names = used(op.ExpressionAttributeNames);
  const values = used(op.ExpressionAttributeValues);
  return {
    ...(names ? { ExpressionAttributeNames: names } : {}),
    ...(values ? { ExpressionAttributeValues: values } : {}),
  };
}

const cancellation = (reasons: Reason[]) => ({
  __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
  message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
  CancellationReasons: reasons,
});

const keySchemas = new Map<string, string[]>();

/** The key attributes of an item to put, from the table's key schema. */
async function keyOf(call: Caller, tableName: string, item: AttributeMap): Promise<AttributeMap> {
  let names = keySchemas.get(tableName);
  if (!names) {
    const { Table } = (await call('DescribeTable', { TableName: tableName })) as {
      Table?: { KeySchema?: { AttributeName: string }[] };
    };
    names = (Table?.KeySchema ?? []).map((element) => element.AttributeName);
    keySchemas.set(tableName, names);
  }
  return Object.fromEntries(names.map((name) => [name, item[name]]));
}

class DynamoError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

/** Calls dynalite itself on the same server, past the lock, with the transaction request's credentials. */
function internalCaller(server: Server, req: IncomingMessage): Caller {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('The DynamoDB stand-in is not listening');
  const headers = {
    'content-type': 'application/x-amz-json-1.0',
    authorization: String(req.headers.authorization ?? ''),
    'x-amz-date': String(req.headers['x-amz-date'] ?? ''),
    [INTERNAL]: '1',
  };
  return async (action, body) => {
    const response = await fetch(`http://127.0.0.1:${address.port}/`, {
      method: 'POST',
      headers: { ...headers, 'x-amz-target': `${TARGET}${action}` },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (!response.ok) {
      const type =
        String(answer.__type ?? '')
          .split('#')
          .pop() ?? 'UnknownError';
      throw new DynamoError(type, String(answer.message ?? answer.Message ?? type));
    }
    return answer as Record<string, AttributeMap | undefined>;
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

/** Many shared holders at once, or one exclusive holder; waiting exclusive holders go first. */
class ReadWriteLock {
  #readers = 0;
  #writer = false;
  #queue: { exclusive: boolean; start: () => void }[] = [];

  shared<T>(work: () => Promise<T>): Promise<T> {
    return this.#run(false, work);
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.#run(true, work);
  }

  async #run<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      this.#queue.push({ exclusive, start });
      this.#pump();
    });
    try {
      return await work();
    } finally {
      if (exclusive) this.#writer = false;
      else this.#readers--;
      this.#pump();
    }
  }

  #pump(): void {
    while (this.#queue.length > 0 && !this.#writer) {
      const next = this.#queue[0] as { exclusive: boolean; start: () => void };
      if (next.exclusive ? this.#readers > 0 : false) return;
      this.#queue.shift();
      if (next.exclusive) this.#writer = true;
      else this.#readers++;
      next.start();
      if (next.exclusive) return;
    }
  }
}
