import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { httpHandler, storefrontOf, withQuery } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { ListMailboxesQuerySchema } from '../domain/schemas.ts';
import { listMailboxes } from '../use-cases/lists.ts';

const config = defineConfig(tableVariables);
const table = { client: dynamoDb, tableName: config.TABLE_NAME };

/** GET /mailboxes?status=&expiresBefore=&limit=&cursor= */
export const handler = httpHandler(withQuery(ListMailboxesQuerySchema), async (event) => ({
  status: 200,
  body: await listMailboxes(dynamoMailboxRepository(table), storefrontOf(event), event.queryStringParameters),
}));
