import * as z from 'zod';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { s3AuditLog } from '../adapters/s3-audit-log.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { provisionMailbox } from '../use-cases/order-fulfilment.ts';

const deps = {
  orders: dynamoOrderRepository,
  mailboxes: dynamoMailboxRepository,
  platform: dynamoMailPlatform,
  audit: s3AuditLog,
};

/** Workflow state ProvisionMailbox: creates the mailbox and activates the address. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await provisionMailbox(deps, orderId, new Date());
});
