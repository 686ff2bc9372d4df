import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import {
  addressParameter,
  createdOrder,
  httpHandler,
  intakeContext,
  withJsonBody,
} from '../adapters/http/http-handler.ts';
import { orderIntakeDeps, orderIntakeVariables } from '../adapters/order-intake-deps.ts';
import { defineConfig } from '../config.ts';
import { RenewalRequestSchema } from '../domain/schemas.ts';
import { placeRenewal } from '../use-cases/renewals.ts';

const config = defineConfig(orderIntakeVariables);
// The platform's accounts are in the same table: a downgrade reads the space in use there.
const deps = {
  ...orderIntakeDeps(config),
  platform: dynamoMailPlatform({ client: dynamoDb, tableName: config.TABLE_NAME }),
};

/** POST /mailboxes/{address}/renewals: a manual renewal order, paid like a new one. */
export const handler = httpHandler(
  withJsonBody(RenewalRequestSchema).extend({ pathParameters: addressParameter }),
  async (event) =>
    createdOrder(await placeRenewal(deps, event.pathParameters.address, event.body, intakeContext(event))),
);
