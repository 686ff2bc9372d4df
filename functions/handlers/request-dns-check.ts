import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { stepFunctions } from '../adapters/clients/step-functions.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { addressParameter, httpHandler, withPathParameters } from '../adapters/http/http-handler.ts';
import { stepFunctionsCallbacks } from '../adapters/step-functions-callbacks.ts';
import { defineConfig } from '../config.ts';
import { requestDnsCheck } from '../use-cases/dns-check.ts';

const config = defineConfig(tableVariables);
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  mailboxes: dynamoMailboxRepository(table),
  orders: dynamoOrderRepository(table),
  callbacks: stepFunctionsCallbacks(stepFunctions),
};

const event = withPathParameters(addressParameter).extend({
  requestContext: z.looseObject({ identity: z.looseObject({ apiKeyId: z.string().nullish() }).optional() }),
});

/** POST /mailboxes/{address}/dns-check: the waiting workflow checks the domain's MX records now. */
export const handler = httpHandler(event, async ({ pathParameters, requestContext }) => {
  await requestDnsCheck(deps, {
    address: pathParameters.address,
    storefrontId: requestContext.identity?.apiKeyId ?? 'anonymous',
  });
  return { status: 202 };
});
