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
import { stripeEventVerifier, withStripeWebhookVariables } from '../adapters/stripe-webhook-events.ts';
import { defineConfig } from '../config.ts';
import { handleStripeEvent } from '../use-cases/handle-stripe-event.ts';

const config = defineConfig(withStripeWebhookVariables({ ...tableVariables, ...auditVariables }));
const table = { client: dynamoDb, tableName: config.TABLE_NAME };
const deps = {
  metrics: powertoolsMetrics,
  orders: dynamoOrderRepository(table),
  events: dynamoPaymentEventRepository(table),
  topUps: dynamoResellerRepository(table),
  callbacks: stepFunctionsCallbacks(stepFunctions),
  audit: s3AuditLog({ client: s3, bucket: config.AUDIT_BUCKET }),
  verify: stripeEventVerifier(config),
};

/**
 * POST /webhooks/stripe: Stripe reports what became of a PaymentIntent or a Charge (and resumes an
 * order waiting for its holder's 3-D Secure or PayPal approval, or credits a reseller's card top-up). Verified with
 * Stripe's library over the raw body, so the body is read as received, before any parsing.
 */
export const handler = httpHandler(anyEvent, async (event) => {
  const headers = event.headers as Record<string, string | undefined> | undefined;
  const result = await handleStripeEvent(
    deps,
    { signature: header(headers, 'stripe-signature'), rawBody: typeof event.body === 'string' ? event.body : '' },
    new Date(),
  );
  logger.info('Stripe event handled', { ...result });
  return { status: 200, body: { received: true, ...result } };
});
