import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { createdOrder, httpHandler, intakeContext, withJsonBody } from '../adapters/http/http-handler.ts';
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
export const handler = httpHandler(withJsonBody(CreateOrderRequestSchema), async (event) =>
  createdOrder(await placeOrder(deps, event.body, intakeContext(event))),
);
