import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, withQuery } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { AvailabilityQuerySchema } from '../domain/schemas.ts';
import { checkAvailability } from '../use-cases/queries.ts';

const config = defineConfig(tableVariables);
const table = { client: dynamoDb, tableName: config.TABLE_NAME };

/** GET /availability?address=name@domain */
export const handler = httpHandler(withQuery(AvailabilityQuerySchema), async (event) => ({
  status: 200,
  body: await checkAvailability(dynamoMailboxRepository(table), event.queryStringParameters.address, new Date()),
}));
