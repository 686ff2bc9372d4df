import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { senderOf, senderVariables } from '../adapters/ses-notifier.ts';
import { bankVariables, sesPaymentInstructions } from '../adapters/ses-payment-instructions.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { awaitPayment } from '../use-cases/order-fulfilment.ts';

const config = defineConfig({ ...tableVariables, ...senderVariables, ...bankVariables });
const deps = {
  orders: dynamoOrderRepository({ client: dynamoDb, tableName: config.TABLE_NAME }),
  notifier: sesPaymentInstructions(senderOf(ses, config), {
    beneficiary: config.PAYMENT_BENEFICIARY,
    iban: config.PAYMENT_IBAN,
    postalAccount: config.PAYMENT_POSTAL_ACCOUNT,
  }),
};

/**
 * Workflow state AwaitPayment (callback): keeps the task token on the order and emails the payment
 * instructions. The state then waits until the payment webhook reports the credit.
 */
export const handler = stateHandler(z.object({ orderId: z.string(), taskToken: z.string() }), async (input) => {
  await awaitPayment(deps, input.orderId, input.taskToken, new Date());
});
