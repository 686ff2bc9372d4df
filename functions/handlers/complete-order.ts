import * as z from 'zod';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { powertoolsMetrics } from '../adapters/metrics.ts';
import { auditVariables, s3AuditLog, s3DocumentStore } from '../adapters/s3-audit-log.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { defineConfig } from '../config.ts';
import { completeOrder } from '../use-cases/order-fulfilment.ts';

const config = defineConfig({ ...tableVariables, ...auditVariables });
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const bucket = { client: s3, bucket: config.AUDIT_BUCKET };
const deps = {
  metrics: powertoolsMetrics,
  orders: dynamoOrderRepository(table),
  audit: s3AuditLog(bucket),
  documents: s3DocumentStore(bucket),
};

/** Workflow state CompleteOrder: the order is done, and filed. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await completeOrder(deps, orderId, new Date());
});
