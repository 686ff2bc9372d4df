import { randomBytes } from 'node:crypto';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { httpHandler, idempotencyKey, withJsonBody } from '../adapters/http/http-handler.ts';
import { stepFunctionsWorkflow } from '../adapters/step-functions-workflow.ts';
import { defineConfig, seconds } from '../config.ts';
import { CreateOrderRequestSchema } from '../domain/schemas.ts';
import { placeOrder } from '../use-cases/place-order.ts';

const config = defineConfig({ PAYMENT_WAIT_SECONDS: seconds(30 * 24 * 3600) });
const deps = {
  orders: dynamoOrderRepository,
  mailboxes: dynamoMailboxRepository,
  workflow: stepFunctionsWorkflow,
  paymentWaitSeconds: config.PAYMENT_WAIT_SECONDS,
};

/** POST /orders: validates the order, reserves the address, starts the order workflow. */
export const handler = httpHandler(withJsonBody(CreateOrderRequestSchema), async (event) => {
  const { order, replayed } = await placeOrder(deps, event.body, {
    now: new Date(),
    clientId: event.requestContext.identity?.apiKeyId ?? 'anonymous',
    idempotencyKey: idempotencyKey(event.headers),
    randomBytes: randomBytes(8),
  });
  return {
    status: 201,
    body: order,
    headers: { location: `/orders/${order.orderId}`, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) },
  };
});
