import * as z from 'zod';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { s3AuditLog, s3DocumentStore } from '../adapters/s3-audit-log.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { completeOrder } from '../use-cases/order-fulfilment.ts';

const deps = {
  orders: dynamoOrderRepository,
  mailboxes: dynamoMailboxRepository,
  audit: s3AuditLog,
  documents: s3DocumentStore,
};

/** Workflow state CompleteOrder: the order is done, and filed. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await completeOrder(deps, orderId, new Date());
});
