import * as z from 'zod';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { sesPaymentInstructions } from '../adapters/ses-payment-instructions.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { awaitPayment } from '../use-cases/order-fulfilment.ts';

const deps = { orders: dynamoOrderRepository, notifier: sesPaymentInstructions };

/**
 * Workflow state AwaitPayment (callback): keeps the task token on the order and emails the payment
 * instructions. The state then waits until the payment webhook reports the credit.
 */
export const handler = stateHandler(z.object({ orderId: z.string(), taskToken: z.string() }), async (input) => {
  await awaitPayment(deps, input.orderId, input.taskToken, new Date());
});
