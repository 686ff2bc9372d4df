import * as z from 'zod';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { s3AuditLog } from '../adapters/s3-audit-log.ts';
import { sesNotifier } from '../adapters/ses-notifier.ts';
import { simulatedPaymentGateway } from '../adapters/simulated-payment-gateway.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { closeOrder } from '../use-cases/order-fulfilment.ts';

const deps = {
  orders: dynamoOrderRepository,
  mailboxes: dynamoMailboxRepository,
  gateway: simulatedPaymentGateway,
  notifier: sesNotifier,
  audit: s3AuditLog,
};

const input = z.object({
  orderId: z.string(),
  outcome: z.enum(['failed', 'cancelled']),
  /** The error the workflow caught (Step Functions' `{ Error, Cause }`). */
  error: z.object({ Error: z.string() }).loose().optional(),
});

/**
 * Workflow states FailOrder and CancelOrder: close the order, record the refund of money taken,
 * free the address, tell the holder.
 */
export const handler = stateHandler(input, async ({ orderId, outcome, error }) => {
  await closeOrder(deps, orderId, outcome, error?.Error ?? 'unknown', new Date());
});
