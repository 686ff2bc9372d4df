import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';

/**
 * The single table: `pk`/`sk` strings, one item type per key prefix, key builders beside each entity.
 * Every DynamoDB adapter is built from it: the client to send with and the table's name.
 */
export interface Table {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/** The variable naming the table, for the `defineConfig` of a function that uses it. */
export const tableVariables = { TABLE_NAME: z.string().min(1) };

/** True for the error DynamoDB raises when a condition expression is not met. */
export const isConditionFailed = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** Drops the key attributes (the table's and its indexes') from an item, leaving the entity. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _g1,
    gsi1sk: _g2,
    gsi2pk: _g3,
    gsi2sk: _g4,
    gsi3pk: _g5,
    gsi3sk: _g6,
    attentionPk: _a1,
    attentionSk: _a2,
    gsi4pk: _g7,
    gsi4sk: _g8,
    ttl: _ttl,
    revision: _revision,
    ...entity
  } = item;
  return entity as T;
}

/**
 * Sends a conditional write: true when it was written, false when its condition did not hold (the
 * invariant refused it); any other error is thrown.
 */
export async function writeIf(send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/** A conditional update of one item of the table; false when its condition did not hold. */
export const updateIf = (
  { client, tableName }: Table,
  update: Omit<UpdateCommandInput, 'TableName'>,
): Promise<boolean> => writeIf(() => client.send(new UpdateCommand({ TableName: tableName, ...update })));

/** A piece of a condition or update expression, with the values it names. */
export interface Expression {
  expression: string;
  values: Record<string, string>;
}

/**
 * `<path> IN (:<key>0, :<key>1, ...)`: the attribute holds one of `statuses`, typically the statuses
 * a lifecycle event may leave from (`orderLifecycle.sourcesOf('pay')`).
 */
export function statusIn(path: string, statuses: readonly string[], key: string): Expression {
  if (statuses.length === 0) throw new Error(`No status allows ${key}.`);
  const values = Object.fromEntries(statuses.map((status, index) => [`:${key}${index}`, status]));
  return { expression: `${path} IN (${Object.keys(values).join(', ')})`, values };
}
