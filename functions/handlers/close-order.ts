import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { ses } from '../adapters/clients/ses.ts';
import { dynamoMailboxRepository } from '../adapters/dynamodb/mailbox-repository.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { dynamoResellerRepository } from '../adapters/dynamodb/reseller-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { powertoolsMetrics } from '../adapters/metrics.ts';
import { renewalLinksFrom, renewalLinksVariables } from '../adapters/renewal-links.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { senderOf, senderVariables, sesNotifier } from '../adapters/ses-notifier.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { stripeGatewayFrom, withStripeVariables } from '../adapters/stripe-payment-gateway.ts';
import { defineConfig } from '../config.ts';
import { closeOrder } from '../use-cases/order-fulfilment.ts';

const config = defineConfig(
  withStripeVariables({ ...tableVariables, ...senderVariables, ...auditVariables, ...renewalLinksVariables }),
);
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  metrics: powertoolsMetrics,
  orders: dynamoOrderRepository(table),
  mailboxes: dynamoMailboxRepository(table),
  resellers: dynamoResellerRepository(table),
  gateway: stripeGatewayFrom(config),
  notifier: sesNotifier(senderOf(ses, config)),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
  renewalLink: renewalLinksFrom(config),
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
