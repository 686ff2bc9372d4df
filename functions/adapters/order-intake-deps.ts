import { defineConfig, seconds } from '../config.ts';
import { dynamoMailboxRepository } from './dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from './dynamodb/order-repository.ts';
import { stepFunctionsWorkflow } from './step-functions-workflow.ts';

const config = defineConfig({ PAYMENT_WAIT_SECONDS: seconds });

/** What every order intake (new orders, renewals, the renewal sweep) runs on. */
export const orderIntakeDeps = {
  orders: dynamoOrderRepository,
  mailboxes: dynamoMailboxRepository,
  workflow: stepFunctionsWorkflow,
  /** How long a bank transfer or postal slip order waits for its credit. */
  paymentWaitSeconds: config.PAYMENT_WAIT_SECONDS,
};
