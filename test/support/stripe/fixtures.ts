import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';

/*
 * Stripe objects as Stripe publishes them: the example objects of Stripe's OpenAPI description
 * (`openapi/fixtures3.json` in github.com/stripe/openapi, commit f6c2a48f, copied unchanged into
 * the JSON files beside this one; stripe-mock answers with the same). The tests derive the states
 * they need from these by changing only the fields Stripe's API reference says a transition changes
 * (`status`, `amount_received`, `last_payment_error`, `next_action`...), never by writing an object
 * from scratch. Error bodies follow the error object of the API reference (docs.stripe.com/api/errors).
 */

const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as T;

/** Stripe's published example PaymentIntent (status `requires_payment_method`). */
export const publishedPaymentIntent = () => read<Stripe.PaymentIntent>('./payment-intent.json');
/** Stripe's published example Charge. */
export const publishedCharge = () => read<Stripe.Charge>('./charge.json');
/** Stripe's published example Refund (status `succeeded`). */
export const publishedRefund = () => read<Stripe.Refund>('./refund.json');
/** Stripe's published example Customer. */
export const publishedCustomer = () => read<Stripe.Customer>('./customer.json');
/** Stripe's published example PaymentMethod (a card). */
export const publishedPaymentMethod = () => read<Stripe.PaymentMethod>('./payment-method.json');
/** Stripe's published example Event. */
export const publishedEvent = () => read<Stripe.Event>('./event.json');

/** The published PaymentIntent as one of this product's: an order's, in euro, with the given changes. */
export function paymentIntent(changes: Partial<Stripe.PaymentIntent> = {}): Stripe.PaymentIntent {
  const published = publishedPaymentIntent();
  return {
    ...published,
    amount: 610,
    currency: 'eur',
    metadata: { orderId: 'ORDER0000001' },
    // The published example shows every optional part filled; a fresh PaymentIntent has none.
    last_payment_error: null,
    next_action: null,
    canceled_at: null,
    ...changes,
  };
}

/** A `card_error` body as Stripe answers a declined confirmation (HTTP 402). */
export const cardDeclined = (declineCode: string, intent: Stripe.PaymentIntent) => ({
  error: {
    charge: 'ch_3PgaxNB7WZ01zgkW0Vb7Zc8P',
    code: 'card_declined',
    decline_code: declineCode,
    doc_url: 'https://stripe.com/docs/error-codes/card-declined',
    message: 'Your card was declined.',
    payment_intent: intent,
    request_log_url: 'https://dashboard.stripe.com/test/logs/req_xyz',
    type: 'card_error',
  },
});

/**
 * The `card_error` body of an off-session confirmation that needs the holder to authenticate
 * (HTTP 402, `authentication_required`: docs.stripe.com/error-codes#authentication-required and
 * docs.stripe.com/declines/codes), with the PaymentIntent back in `requires_payment_method`.
 */
export const authenticationRequired = (intent: Stripe.PaymentIntent) => ({
  error: {
    charge: 'ch_3PgaxNB7WZ01zgkW0Vb7Zc8P',
    code: 'authentication_required',
    decline_code: 'authentication_required',
    doc_url: 'https://stripe.com/docs/error-codes/authentication-required',
    message: 'Your card was declined. This transaction requires authentication.',
    payment_intent: intent,
    request_log_url: 'https://dashboard.stripe.com/test/logs/req_xyz',
    type: 'card_error',
  },
});

/** An `invalid_request_error` body (HTTP 400 or 404). */
export const invalidRequest = (fields: {
  code?: string;
  message: string;
  param?: string;
  payment_intent?: unknown;
}) => ({
  error: { type: 'invalid_request_error', doc_url: `https://stripe.com/docs/error-codes/${fields.code}`, ...fields },
});
