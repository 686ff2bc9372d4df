import * as z from 'zod';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { s3AuditLog } from '../adapters/s3-audit-log.ts';
import { sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { extendMailbox } from '../use-cases/order-fulfilment.ts';

const deps = {
  orders: dynamoOrderRepository,
  mailboxes: dynamoMailboxRepository,
  platform: dynamoMailPlatform,
  notifier: sesNotifier,
  audit: s3AuditLog,
};

/** Workflow state ExtendMailbox: a paid renewal moves the mailbox's expiry on. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await extendMailbox(deps, orderId, new Date());
});
