import * as z from 'zod';
import { firstAccessLinkSettings, firstAccessLinkVariables } from '../adapters/access-link-settings.ts';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoAccessTokenRepository } from '../adapters/dynamodb/access-token-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { sendFirstAccessEmail } from '../use-cases/order-fulfilment.ts';

const config = defineConfig({
  ...tableVariables,
  ...senderVariables,
  ...firstAccessLinkVariables,
});
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const settings = firstAccessLinkSettings(config);
const deps = {
  orders: dynamoOrderRepository(table),
  tokens: dynamoAccessTokenRepository(table),
  notifier: sesNotifier(senderOf(ses, config)),
};

/** Workflow state SendFirstAccessEmail: emails the single-use link to create the password. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await sendFirstAccessEmail(deps, settings, orderId, new Date());
});
