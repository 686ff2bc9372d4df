import * as z from 'zod';
import { dynamoOrderRepository } from '../adapters/dynamodb/order-repository.ts';
import { s3AuditLog } from '../adapters/s3-audit-log.ts';
import { simulatedPaymentGateway } from '../adapters/simulated-payment-gateway.ts';
import { stateHandler } from '../adapters/state-handler.ts';
import { chargePayment } from '../use-cases/order-fulfilment.ts';

const deps = { orders: dynamoOrderRepository, gateway: simulatedPaymentGateway, audit: s3AuditLog };

/** Workflow state ChargePayment: charges a card or PayPal order once. */
export const handler = stateHandler(z.object({ orderId: z.string() }), async ({ orderId }) => {
  await chargePayment(deps, orderId, new Date());
});
