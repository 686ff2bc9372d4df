import Stripe from 'stripe';
import type * as z from 'zod';
import { ValidationError } from '../domain/errors.ts';
import type { ProviderEvent } from '../use-cases/ports.ts';
import { secretValue, withSecretVariables } from './secret-value.ts';

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

/** What the use cases read of a Stripe event: its PaymentIntent's (or Charge's) order, amount and currency. */
export function providerEvent(event: Stripe.Event): ProviderEvent {
  if (typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.created !== 'number') {
    throw new ValidationError([{ path: '(body)', message: 'The body is not a Stripe event.' }]);
  }
  const object = (event.data?.object ?? {}) as Partial<Stripe.PaymentIntent> & Partial<Stripe.Charge>;
  const isCharge = object.object === 'charge';
  const paymentId = isCharge
    ? typeof object.payment_intent === 'string'
      ? object.payment_intent
      : object.payment_intent?.id
    : object.object === 'payment_intent'
      ? object.id
      : undefined;
  const orderId = object.metadata?.orderId;
  const amount = isCharge ? object.amount_refunded : object.amount;
  return {
    id: event.id,
    type: event.type,
    occurredAt: new Date(event.created * 1000).toISOString(),
    ...(paymentId ? { paymentId } : {}),
    ...(typeof orderId === 'string' && orderId !== '' ? { orderId } : {}),
    amountCents: typeof amount === 'number' ? amount : 0,
    currency: typeof object.currency === 'string' ? object.currency.toUpperCase() : '',
  };
}
