import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { sendOrderConfirmation } from '../use-cases/order-fulfilment.ts';

const config = defineConfig({ ...tableVariables, ...senderVariables });
const deps = {
  orders: dynamoOrderRepository({ client: dynamoDb, tableName: config.TABLE_NAME }),
  notifier: sesNotifier(senderOf(ses, config)),
};

/** Workflow state SendOrderConfirmation: confirms a new card or PayPal order to the holder, before the charge. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await sendOrderConfirmation(deps, orderId, new Date());
});
