import { isClosedOrder } from '../domain/lifecycles.ts';
import type { Order } from '../domain/order.ts';
import type { AuditLog, OrderRepository, PaymentEventRefund, PaymentEventRepository, ProviderEvent } from './ports.ts';

export interface StripeEventDeps {
  orders: Pick<OrderRepository, 'get'>;
  events: PaymentEventRepository;
  audit: AuditLog;
  /** Verifies a delivery's signature over its raw body and reads the event (a bad one throws a ValidationError). */
  verify: (rawBody: string, signature: string | undefined) => Promise<ProviderEvent>;
}

export interface StripeEventResult {
  eventId: string;
  outcome: string;
  duplicate: boolean;
}

interface Applied {
  outcome: string;
  anomaly: boolean;
  refund?: PaymentEventRefund;
}

/** Where an event has no order (not one of ours, or none named), it is recorded under this one. */
const NO_ORDER = '-';

/**
 * A Stripe webhook delivery (`POST /webhooks/stripe`):
 * 1. the signature is verified over the raw body with Stripe's library (a bad one changes nothing);
 * 2. the event is recorded by id, like the payment provider's events: one that already took effect
 *    is acknowledged and ignored, so every event takes effect at most once, in any order;
 * 3. what it says is compared with the order its PaymentIntent names (`metadata.orderId`):
 *    `payment_intent.succeeded` for an order paid with that PaymentIntent confirms what the charge
 *    step saw; for a closed order without a refund it is money to give back (an anomaly to refund);
 *    for an order whose PaymentIntent it is not, an anomaly. An order still waiting for its payment
 *    is not resumed yet (the wait for 3-D Secure comes with the next step of issue 9): the event is
 *    recorded. `payment_intent.payment_failed` and `charge.refunded` are recorded;
 * 4. it is audited, then marked done.
 */
export async function handleStripeEvent(
  deps: StripeEventDeps,
  delivery: { signature: string | undefined; rawBody: string },
  now: Date,
): Promise<StripeEventResult> {
  const event = await deps.verify(delivery.rawBody, delivery.signature);
  const orderId = event.orderId ?? NO_ORDER;
  const recorded = await deps.events.record(
    {
      id: event.id,
      type: event.type,
      orderId,
      amountCents: event.amountCents,
      currency: event.currency,
      occurredAt: event.occurredAt,
    },
    now,
  );
  if (recorded === 'done') return { eventId: event.id, outcome: 'duplicate', duplicate: true };

  const applied = await apply(deps, event);
  await deps.audit.record({
    orderId,
    event: 'stripe-event',
    ref: event.id,
    at: now,
    detail: {
      eventId: event.id,
      type: event.type,
      paymentId: event.paymentId,
      amountCents: event.amountCents,
      currency: event.currency,
      outcome: applied.outcome,
      anomaly: applied.anomaly,
      ...(applied.refund ? { refund: 'refund-required' } : {}),
    },
  });
  await deps.events.finish(event.id, applied, now);
  return { eventId: event.id, outcome: applied.outcome, duplicate: recorded === 'seen' };
}

async function apply(deps: StripeEventDeps, event: ProviderEvent): Promise<Applied> {
  const aboutPayment = event.type === 'payment_intent.succeeded' || event.type === 'payment_intent.payment_failed';
  if (event.type === 'charge.refunded') return { outcome: 'refund_reported', anomaly: false };
  if (!aboutPayment) return { outcome: 'ignored', anomaly: false };
  // A PaymentIntent without an order is not one of this product's (another use of the account).
  if (!event.orderId) return { outcome: 'not_an_order_payment', anomaly: false };

  const order = await deps.orders.get(event.orderId);
  if (!order) return { outcome: 'unknown_order', anomaly: true };
  if (order.providerPaymentId !== event.paymentId) return { outcome: 'not_the_order_payment', anomaly: true };
  if (event.type === 'payment_intent.payment_failed') return { outcome: 'payment_failed_recorded', anomaly: false };
  return succeeded(order, event);
}

/** `payment_intent.succeeded` for the order's own PaymentIntent. */
function succeeded(order: Order, event: ProviderEvent): Applied {
  if (order.chargeId === event.paymentId) return { outcome: 'paid', anomaly: false };
  if (order.refund?.chargeId === event.paymentId) return { outcome: 'refund_recorded', anomaly: false };
  if (isClosedOrder(order.status)) {
    // Money taken for an order that ended unfulfilled, which its closing did not see: to give back.
    return {
      outcome: 'succeeded_for_closed_order',
      anomaly: true,
      refund: { status: 'required', amountCents: event.amountCents, currency: event.currency },
    };
  }
  // The charge step has not recorded it yet (it is running, or will be retried, and asks Stripe).
  return { outcome: 'awaiting_charge_step', anomaly: false };
}
