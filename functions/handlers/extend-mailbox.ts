import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { extendMailbox } from '../use-cases/order-fulfilment.ts';

const config = defineConfig({ ...tableVariables, ...senderVariables, ...auditVariables });
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  orders: dynamoOrderRepository(table),
  mailboxes: dynamoMailboxRepository(table),
  platform: dynamoMailPlatform(table),
  notifier: sesNotifier(senderOf(ses, config)),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
};

/** Workflow state ExtendMailbox: a paid renewal moves the mailbox's expiry on. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await extendMailbox(deps, orderId, new Date());
});
