import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { powertoolsMetrics } from '../adapters/metrics.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { stripeGatewayFrom, withStripeVariables } from '../adapters/stripe-payment-gateway.ts';
import { defineConfig } from '../config.ts';
import { chargePayment } from '../use-cases/order-fulfilment.ts';

const config = defineConfig(withStripeVariables({ ...tableVariables, ...auditVariables }));
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  metrics: powertoolsMetrics,
  orders: dynamoOrderRepository(table),
  gateway: stripeGatewayFrom(config),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
};

/** Workflow state ChargePayment: charges a card or PayPal order once. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await chargePayment(deps, orderId, new Date());
});
