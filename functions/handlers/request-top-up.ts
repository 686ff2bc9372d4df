import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoResellerRepository } from '../adapters/dynamodb/reseller-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, intakeContext, withJsonBody } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { TopUpRequestSchema } from '../domain/schemas.ts';
import { requestTopUp } from '../use-cases/top-ups.ts';

const config = defineConfig(tableVariables);
const resellers = dynamoResellerRepository({ client: dynamoDb, tableName: config.TABLE_NAME });

/** POST /reseller/credit/top-ups: a top-up by bank transfer or postal slip, credited when it is registered. */
export const handler = httpHandler(withJsonBody(TopUpRequestSchema), async (event) => {
  const { topUp, replayed } = await requestTopUp(resellers, event.body, intakeContext(event));
  const headers: Record<string, string> = replayed ? { 'idempotent-replayed': 'true' } : {};
  return { status: 201, body: topUp, headers };
});
