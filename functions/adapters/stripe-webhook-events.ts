import Stripe from 'stripe';
import type * as z from 'zod';
import { ValidationError } from '../domain/errors.ts';
import { fieldErrors } from '../domain/schemas.ts';
import type { ProviderEvent } from '../use-cases/ports.ts';
import { secretValue, withSecretVariables } from './secret-value.ts';
import { StripeEventSchema } from './stripe-event-schema.ts';

/**
 * The variables of the Stripe webhook endpoint's signing secret, over the rest of a function's
 * variables `shape`: STRIPE_WEBHOOK_SECRET_ARN in AWS, or STRIPE_WEBHOOK_SECRET itself locally.
 */
export const withStripeWebhookVariables = <Shape extends z.ZodRawShape>(shape: Shape) =>
  withSecretVariables('STRIPE_WEBHOOK_SECRET', shape);

/** How far a delivery's timestamp may be from now (Stripe's own default tolerance). */
const TOLERANCE_SECONDS = Stripe.webhooks.DEFAULT_TOLERANCE;

/**
 * Verifies a Stripe webhook delivery with Stripe's own library (`stripe.webhooks.constructEvent`,
 * on the raw body as received) against the endpoint's signing secret, and reads what the use cases
 * need from the event. A missing, stale or wrong signature, or a body that is not an event, is a
 * ValidationError naming what is wrong (a 400, Stripe's convention), and nothing else happens.
 */
export function stripeEventVerifier(config: {
  STRIPE_WEBHOOK_SECRET?: string | undefined;
  STRIPE_WEBHOOK_SECRET_ARN?: string | undefined;
}) {
  const secret = secretValue(
    { secret: config.STRIPE_WEBHOOK_SECRET, secretArn: config.STRIPE_WEBHOOK_SECRET_ARN },
    'Stripe webhook secret',
  );
  return async (rawBody: string, signature: string | undefined): Promise<ProviderEvent> => {
    if (!signature) throw signatureProblem('The Stripe-Signature header is missing.');
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(rawBody, signature, await secret(), TOLERANCE_SECONDS);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
        throw signatureProblem(`The Stripe signature is not valid: ${error.message}`);
      }
      if (error instanceof SyntaxError) {
        throw new ValidationError([{ path: '(body)', message: 'The body is not a JSON Stripe event.' }]);
      }
      throw error;
    }
    return providerEvent(event);
  };
}

const signatureProblem = (message: string) =>
  new ValidationError([{ path: 'Stripe-Signature', message }], 'The Stripe signature is not valid.');

/** What the use cases read of a Stripe event: its PaymentIntent's (or Charge's) order or top-up, amount and currency. */
export function providerEvent(event: unknown): ProviderEvent {
  const parsed = StripeEventSchema.safeParse(event);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error.issues));
  const { id, type, created, data } = parsed.data;
  const object = data.object;
  const isCharge = object.object === 'charge';
  const paymentId = isCharge ? object.payment_intent : object.object === 'payment_intent' ? object.id : undefined;
  const orderId = object.metadata?.orderId;
  const topUpId = object.metadata?.topUpId;
  const amount = isCharge ? object.amount_refunded : object.amount;
  return {
    id,
    type,
    occurredAt: new Date(created * 1000).toISOString(),
    ...(paymentId ? { paymentId } : {}),
    ...(orderId ? { orderId } : {}),
    ...(topUpId ? { topUpId } : {}),
    amountCents: amount ?? 0,
    currency: object.currency?.toUpperCase() ?? '',
  };
}
