import * as z from 'zod';
import { seconds } from '../config.ts';
import { dynamoDb } from './clients/dynamodb.ts';
import { stepFunctions } from './clients/step-functions.ts';
import { dynamoMailboxRepository } from './dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from './dynamodb/order-repository.ts';
import { dynamoResellerRepository } from './dynamodb/reseller-repository.ts';
import { tableVariables } from './dynamodb/table.ts';
import { powertoolsMetrics } from './metrics.ts';
import { stepFunctionsWorkflow } from './step-functions-workflow.ts';

/** The variables every order intake reads, for its function's `defineConfig`. */
export const orderIntakeVariables = {
  ...tableVariables,
  ORDER_WORKFLOW_ARN: z.string().min(1),
  /** How long a bank transfer or postal slip order waits for its credit. */
  PAYMENT_WAIT_SECONDS: seconds,
};

/** What every order intake (new orders, renewals, the renewal sweep) runs on, built from its function's settings. */
export function orderIntakeDeps(config: {
  TABLE_NAME: string;
  ORDER_WORKFLOW_ARN: string;
  PAYMENT_WAIT_SECONDS: number;
}) {
  const table = { client: dynamoDb, tableName: config.TABLE_NAME };
  return {
    orders: dynamoOrderRepository(table),
    mailboxes: dynamoMailboxRepository(table),
    /** Which keys are resellers', and their credit (their orders are debited from it). */
    resellers: dynamoResellerRepository(table),
    workflow: stepFunctionsWorkflow({ client: stepFunctions, stateMachineArn: config.ORDER_WORKFLOW_ARN }),
    paymentWaitSeconds: config.PAYMENT_WAIT_SECONDS,
    metrics: powertoolsMetrics,
  };
}
