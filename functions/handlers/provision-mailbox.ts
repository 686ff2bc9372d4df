import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { dynamoMailPlatform } from '../adapters/dynamodb-mail-platform.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { provisionMailbox } from '../use-cases/order-fulfilment.ts';

const config = defineConfig({ ...tableVariables, ...auditVariables });
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  orders: dynamoOrderRepository(table),
  mailboxes: dynamoMailboxRepository(table),
  platform: dynamoMailPlatform(table),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
};

/** Workflow state ProvisionMailbox: creates the mailbox and activates the address. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await provisionMailbox(deps, orderId, new Date());
});
