import { dynamoDb } from '../adapters/clients/dynamodb.ts';
import { s3 } from '../adapters/clients/s3.ts';
import { stepFunctions } from '../adapters/clients/step-functions.ts';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { dynamoPaymentEventRepository } from '../adapters/dynamodb/payment-event-repository.ts';
import { dynamoResellerRepository } from '../adapters/dynamodb/reseller-repository.ts';
import { tableVariables } from '../adapters/dynamodb/table.ts';
import { anyEvent, header, httpHandler } from '../adapters/http/http-handler.ts';
import { logger } from '../adapters/logger.ts';
import { powertoolsMetrics } from '../adapters/metrics.ts';
import { auditVariables, s3AuditLog } from '../adapters/s3-audit-log.ts';
import { stepFunctionsCallbacks } from '../adapters/step-functions-callbacks.ts';
import { webhookSecret, withWebhookSecretVariables } from '../adapters/webhook-secret.ts';
import { defineConfig } from '../config.ts';
import { handlePaymentEvent } from '../use-cases/handle-payment-event.ts';

const config = defineConfig(withWebhookSecretVariables({ ...tableVariables, ...auditVariables }));
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  metrics: powertoolsMetrics,
  orders: dynamoOrderRepository(table),
  events: dynamoPaymentEventRepository(table),
  /** A credit may pay a reseller's top-up instead of an order. */
  topUps: dynamoResellerRepository(table),
  callbacks: stepFunctionsCallbacks(stepFunctions),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
};
const secret = webhookSecret({ secret: config.PAYMENT_WEBHOOK_SECRET, secretArn: config.PAYMENT_WEBHOOK_SECRET_ARN });

/**
 * POST /webhooks/payments: a payment provider reports a credit or a failure. Authenticated by its
 * HMAC signature over the raw body, so the body is read as received, before any parsing.
 */
export const handler = httpHandler(anyEvent, async (event) => {
  const headers = event.headers as Record<string, string | undefined> | undefined;
  const result = await handlePaymentEvent(
    { ...deps, secret: await secret() },
    { signature: header(headers, 'payment-signature'), rawBody: typeof event.body === 'string' ? event.body : '' },
    new Date(),
  );
  logger.info('Payment event handled', { ...result });
  return { status: 200, body: { received: true, ...result } };
});
