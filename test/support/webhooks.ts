import { signatureHeader } from '../../functions/domain/webhook-signature.ts';
import type { ApiClient } from './client.ts';

export const LOCAL_WEBHOOK_SECRET = 'whsec_local_dev';
/** The local Stripe webhook endpoint's signing secret (the stand-in signs with it). */
export const LOCAL_STRIPE_WEBHOOK_SECRET = 'whsec_local_stripe';

let counter = 0;
export const eventId = () => `evt_${Date.now().toString(36)}_${process.pid}_${counter++}`;

export interface PaymentEvent {
  id: string;
  type: 'credit.registered' | 'payment.succeeded' | 'payment.failed';
  orderId: string;
  amountCents: number;
  currency: string;
  occurredAt: string;
}

export const paymentEvent = (
  orderId: string,
  amountCents: number,
  overrides: Partial<PaymentEvent> = {},
): PaymentEvent => ({
  id: eventId(),
  type: 'credit.registered',
  orderId,
  amountCents,
  currency: 'EUR',
  occurredAt: new Date().toISOString(),
  ...overrides,
});

/** Posts a webhook delivery as a provider would: raw JSON body, signed with `secret` at `timestamp`. */
export function deliver(
  api: ApiClient,
  event: unknown,
  options: { secret?: string; timestamp?: number; signature?: string } = {},
) {
  const rawBody = JSON.stringify(event);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature ?? signatureHeader(options.secret ?? LOCAL_WEBHOOK_SECRET, timestamp, rawBody);
  return api.request('POST', '/webhooks/payments', {
    rawBody,
    apiKey: null,
    headers: { 'content-type': 'application/json', 'payment-signature': signature },
  });
}
