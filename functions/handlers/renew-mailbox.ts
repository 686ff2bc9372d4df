import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import {
  addressParameter,
  createdOrder,
  httpHandler,
  intakeContext,
  withJsonBody,
} from '../adapters/http/http-handler.ts';
import { stepFunctionsWorkflow } from '../adapters/step-functions-workflow.ts';
import { defineConfig, seconds } from '../config.ts';
import { RenewalRequestSchema } from '../domain/schemas.ts';
import { placeRenewal } from '../use-cases/renewals.ts';

const config = defineConfig({ PAYMENT_WAIT_SECONDS: seconds(30 * 24 * 3600) });
const deps = {
  orders: dynamoOrderRepository,
  mailboxes: dynamoMailboxRepository,
  workflow: stepFunctionsWorkflow,
  paymentWaitSeconds: config.PAYMENT_WAIT_SECONDS,
};

/** POST /mailboxes/{address}/renewals: a manual renewal order, paid like a new one. */
export const handler = httpHandler(
  withJsonBody(RenewalRequestSchema).extend({ pathParameters: addressParameter }),
  async (event) =>
    createdOrder(await placeRenewal(deps, event.pathParameters.address, event.body, intakeContext(event))),
);
