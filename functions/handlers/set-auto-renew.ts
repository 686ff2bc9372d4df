import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { addressParameter, httpHandler, storefrontOf, withJsonBody } from '../adapters/http/http-handler.ts';
import { defineConfig } from '../config.ts';
import { AutoRenewRequestSchema } from '../domain/schemas.ts';
import { setAutoRenew } from '../use-cases/renewals.ts';

const config = defineConfig(tableVariables);
const table = { client: dynamoDb, tableName: config.TABLE_NAME };

/** PUT /mailboxes/{address}/auto-renew: `{ "enabled": bool }`. */
export const handler = httpHandler(
  withJsonBody(AutoRenewRequestSchema).extend({ pathParameters: addressParameter }),
  async (event) => ({
    status: 200,
    body: await setAutoRenew(
      dynamoMailboxRepository(table),
      event.pathParameters.address,
      event.body.enabled,
      storefrontOf(event),
    ),
  }),
);
