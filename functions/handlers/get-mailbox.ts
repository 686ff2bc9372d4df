import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { addressParameter, httpHandler, storefrontOf, withPathParameters } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { getMailbox } from '../use-cases/queries.ts';

const config = defineConfig(tableVariables);
const table = { client: dynamoDb, tableName: config.TABLE_NAME };

/** GET /mailboxes/{address} */
export const handler = httpHandler(withPathParameters(addressParameter), async (event) => ({
  status: 200,
  body: await getMailbox(dynamoMailboxRepository(table), event.pathParameters.address, storefrontOf(event)),
}));
