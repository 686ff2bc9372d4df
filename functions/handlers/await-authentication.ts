import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { stripeGatewayFrom, withStripeVariables } from '../adapters/stripe-payment-gateway.ts';
import { defineConfig } from '../config.ts';
import { awaitAuthentication } from '../use-cases/order-fulfilment.ts';

const config = defineConfig(withStripeVariables({ ...tableVariables }));
const deps = {
  orders: dynamoOrderRepository({ client: dynamoDb, tableName: config.TABLE_NAME }),
  gateway: stripeGatewayFrom(config),
};

/**
 * Workflow state AwaitAuthentication (callback): keeps the task token on the order while the holder
 * authenticates the card (3-D Secure) or approves PayPal; the Stripe webhook then resumes the wait.
 */
export const handler = stateHandler(z.object({ orderId: z.string(), taskToken: z.string() }), async (input) => {
  await awaitAuthentication(deps, input.orderId, input.taskToken);
});
