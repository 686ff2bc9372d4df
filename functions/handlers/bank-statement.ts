import { S3EventNotificationEventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/s3';
import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { stepFunctions } from '../adapters/clients/step-functions.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { dynamoPaymentEventRepository } from '../adapters/dynamodb/payment-event-repository.ts';
import { dynamoResellerRepository } from '../adapters/dynamodb/reseller-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { logger } from '../adapters/logger.ts';
import { powertoolsMetrics } from '../adapters/metrics.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { STATEMENT_REJECTED_MESSAGE, s3StatementFiles, statementsVariables } from '../adapters/s3-statement-files.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { stepFunctionsCallbacks } from '../adapters/step-functions-callbacks.ts';
import { defineConfig } from '../config.ts';
import { processBankStatement } from '../use-cases/bank-statements.ts';

const config = defineConfig({ ...tableVariables, ...auditVariables, ...statementsVariables });
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  metrics: powertoolsMetrics,
  orders: dynamoOrderRepository(table),
  events: dynamoPaymentEventRepository(table),
  /** A credit may pay a reseller's top-up instead of an order. */
  topUps: dynamoResellerRepository(table),
  callbacks: stepFunctionsCallbacks(stepFunctions),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
  files: s3StatementFiles({ client: s3, bucket: config.STATEMENTS_BUCKET }),
};

/**
 * A bank statement file put under `incoming/` of the statements bucket (S3's "Object Created"
 * event, through EventBridge): its credits are registered like payment webhook events. A refused
 * file is logged as an error (a metric filter counts it) and set aside under `rejected/`.
 */
export const handler = stateHandler(S3EventNotificationEventBridgeSchema, async (event) => {
  const { bucket, object } = event.detail;
  if (bucket.name !== config.STATEMENTS_BUCKET) {
    throw new Error(`The statement function reads ${config.STATEMENTS_BUCKET}, not ${bucket.name}`);
  }
  const result = await processBankStatement(deps, object.key, new Date());
  // Identifiers, counts and outcomes only: who paid stays on the payment event records.
  if (result.status === 'rejected') logger.error(STATEMENT_REJECTED_MESSAGE, { ...result });
  else logger.info('Bank statement applied', { ...result });
  return result;
});
