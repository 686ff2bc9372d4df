import { ErrorName } from '../domain/errors.ts';
import { canPay, isClosedOrder } from '../domain/lifecycles.ts';
import type { Order } from '../domain/order.ts';
import { BusinessCount, type BusinessMetrics } from './business-metrics.ts';
import type {
  AuditLog,
  OrderRepository,
  PaymentEventRefund,
  PaymentEventRepository,
  ProviderEvent,
  ResellerRepository,
  WorkflowCallbacks,
} from './ports.ts';
import { topUpStripeEvent } from './top-ups.ts';

export interface StripeEventDeps {
  orders: Pick<OrderRepository, 'get' | 'getTaskToken' | 'markRefunded'>;
  events: PaymentEventRepository;
  /** Resumes an order's wait for the holder (AwaitAuthentication) with the task token kept on the order. */
  callbacks: WorkflowCallbacks;
  audit: AuditLog;
  /** Resellers' top-ups charged by card or PayPal, which a PaymentIntent may name instead of an order. */
  topUps: Pick<ResellerRepository, 'getTopUp' | 'creditTopUp' | 'declineTopUp' | 'rearmLowBalanceNotice'>;
  /** Verifies a delivery's signature over its raw body and reads the event (a bad one throws a ValidationError). */
  verify: (rawBody: string, signature: string | undefined) => Promise<ProviderEvent>;
  /** Where refunds and anomalies are counted (absent: nothing is). */
  metrics?: BusinessMetrics;
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
 *    for an order whose PaymentIntent it is not, an anomaly. For an order still waiting for its
 *    payment, `payment_intent.succeeded` resumes the workflow's wait for the holder (3-D Secure,
 *    PayPal's approval: SendTaskSuccess, and ChargePayment then records the charge from Stripe) and
 *    `payment_intent.payment_failed` fails it (SendTaskFailure with PaymentFailed); with no wait to
 *    resume yet (the workflow has not kept its token) nothing is lost: the wait asks Stripe once it
 *    has kept its token. A wait resumed already (a redelivery, or the other event first) refuses the
 *    token harmlessly, so the first word stands. `charge.refunded` for the order's recorded refund
 *    marks the order `refunded`. A PaymentIntent naming a reseller's top-up (`metadata.topUpId`)
 *    credits it once when it succeeds (`topUpStripeEvent`);
 * 4. it is audited, then marked done.
 */
export async function handleStripeEvent(
  deps: StripeEventDeps,
  delivery: { signature: string | undefined; rawBody: string },
  now: Date,
): Promise<StripeEventResult> {
  const event = await deps.verify(delivery.rawBody, delivery.signature);
  // A top-up's events are recorded and audited under its id, as the payment webhook's are.
  const orderId = event.orderId ?? event.topUpId ?? NO_ORDER;
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

  const applied = await apply(deps, event, now);
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
  if (applied.anomaly) deps.metrics?.count(BusinessCount.PaymentAnomalies);
  return { eventId: event.id, outcome: applied.outcome, duplicate: recorded === 'seen' };
}

async function apply(deps: StripeEventDeps, event: ProviderEvent, now: Date): Promise<Applied> {
  const aboutPayment = event.type === 'payment_intent.succeeded' || event.type === 'payment_intent.payment_failed';
  if (event.type === 'charge.refunded') return refunded(deps, event);
  if (!aboutPayment) return { outcome: 'ignored', anomaly: false };
  // A reseller's card or PayPal top-up: credited once, never money for an order.
  if (event.topUpId && !event.orderId) return topUpStripeEvent(deps.topUps, { ...event, topUpId: event.topUpId }, now);
  // A PaymentIntent without an order is not one of this product's (another use of the account).
  if (!event.orderId) return { outcome: 'not_an_order_payment', anomaly: false };

  const order = await deps.orders.get(event.orderId);
  if (!order) return { outcome: 'unknown_order', anomaly: true };
  if (order.providerPaymentId !== event.paymentId) return { outcome: 'not_the_order_payment', anomaly: true };
  if (event.type === 'payment_intent.payment_failed') return failed(deps, order, event);
  return succeeded(deps, order, event);
}

/** `payment_intent.succeeded` for the order's own PaymentIntent. */
async function succeeded(deps: StripeEventDeps, order: Order, event: ProviderEvent): Promise<Applied> {
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
  const token = canPay(order) ? await deps.orders.getTaskToken(order.orderId) : undefined;
  if (token) {
    const resumed = await deps.callbacks.succeed(token, { stripeEventId: event.id });
    return { outcome: resumed === 'resumed' ? 'authenticated' : 'wait_already_closed', anomaly: false };
  }
  // The charge step has not recorded it yet (it is running, or will be retried, and asks Stripe).
  return { outcome: 'awaiting_charge_step', anomaly: false };
}

/**
 * `charge.refunded`: Stripe gave back the money of a charge. For the order's own PaymentIntent, with
 * its refund recorded, the whole amount refunded marks the order `refunded` (if the refund did not
 * already answer so); less than that is an anomaly for an operator. A refund of anything else (made
 * by hand in the Dashboard) is recorded.
 */
async function refunded(deps: StripeEventDeps, event: ProviderEvent): Promise<Applied> {
  const order = event.orderId ? await deps.orders.get(event.orderId) : undefined;
  const refund = order?.refund;
  if (!order || !refund || !event.paymentId || refund.chargeId !== event.paymentId) {
    return { outcome: 'refund_reported', anomaly: false };
  }
  if (refund.status === 'refunded') return { outcome: 'refunded', anomaly: false };
  if (event.amountCents < refund.amountCents) return { outcome: 'partly_refunded', anomaly: true };
  const marked = await deps.orders.markRefunded(order.orderId, {
    ...refund,
    status: 'refunded',
    refundedAt: event.occurredAt,
  });
  if (marked) deps.metrics?.count(BusinessCount.OrdersRefunded);
  return { outcome: marked ? 'refunded' : 'refund_reported', anomaly: false };
}

/**
 * `payment_intent.payment_failed` for the order's own PaymentIntent: a wait for the holder is failed
 * (the holder abandoned 3-D Secure, or it failed); a decline the charge step saw needs nothing more.
 */
async function failed(deps: StripeEventDeps, order: Order, event: ProviderEvent): Promise<Applied> {
  const token = canPay(order) ? await deps.orders.getTaskToken(order.orderId) : undefined;
  if (!token) return { outcome: 'payment_failed_recorded', anomaly: false };
  const resumed = await deps.callbacks.fail(token, ErrorName.PaymentFailed, `Stripe event ${event.id}`);
  return { outcome: resumed === 'resumed' ? 'payment_failed' : 'wait_already_closed', anomaly: false };
}
