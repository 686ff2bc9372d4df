import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { dynamoPaymentEventRepository } from '../adapters/dynamodb/payment-event-repository.ts';
import { anyEvent, header, httpHandler } from '../adapters/http/http-handler.ts';
import { logger } from '../adapters/logger.ts';
import { s3AuditLog } from '../adapters/s3-audit-log.ts';
import { stepFunctionsCallbacks } from '../adapters/step-functions-callbacks.ts';
import { webhookSecret } from '../adapters/webhook-secret.ts';
import { handlePaymentEvent } from '../use-cases/handle-payment-event.ts';

/**
 * POST /webhooks/payments: a payment provider reports a credit or a failure. Authenticated by its
 * HMAC signature over the raw body, so the body is read as received, before any parsing.
 */
export const handler = httpHandler(anyEvent, async (event) => {
  const headers = event.headers as Record<string, string | undefined> | undefined;
  const result = await handlePaymentEvent(
    {
      orders: dynamoOrderRepository,
      events: dynamoPaymentEventRepository,
      callbacks: stepFunctionsCallbacks,
      audit: s3AuditLog,
      secret: await webhookSecret(),
    },
    { signature: header(headers, 'payment-signature'), rawBody: typeof event.body === 'string' ? event.body : '' },
    new Date(),
  );
  logger.info('Payment event handled', { ...result });
  return { status: 200, body: { received: true, ...result } };
});
