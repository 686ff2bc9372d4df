import { ErrorName, RetryLaterError, UnauthorizedError, ValidationError } from '../domain/errors.ts';
import { parseJsonText } from '../domain/json-text.ts';
import { isImmediatePayment } from '../domain/order.ts';
import { issuesToErrors, type PaymentWebhookEvent, PaymentWebhookEventSchema, ROOT_PATH } from '../domain/schemas.ts';
import { verifySignature } from '../domain/webhook-signature.ts';
import type { AuditLog, OrderRepository, PaymentEventRepository, WorkflowCallbacks } from './ports.ts';

export interface PaymentEventDeps {
  orders: Pick<OrderRepository, 'get' | 'markPaid' | 'markPaymentFailed' | 'getTaskToken'>;
  events: PaymentEventRepository;
  callbacks: WorkflowCallbacks;
  audit: AuditLog;
  secret: string;
}

export interface PaymentEventResult {
  eventId: string;
  outcome: string;
  duplicate: boolean;
}

/**
 * A payment provider's webhook delivery:
 * 1. the signature is checked over the raw body (a bad or stale one changes nothing);
 * 2. the event is recorded by id: one that already took effect is acknowledged and ignored;
 * 3. a credit of exactly the order's gross total marks a waiting order paid, and resumes its
 *    workflow with the task token kept on the order; a failed payment fails the wait;
 * 4. anything else (unknown order, wrong amount, an event for an order no longer waiting) is
 *    recorded as an outcome and, where an operator should look, as an anomaly.
 * Every step is safe to repeat, so a provider may redeliver, concurrently and out of order.
 */
export async function handlePaymentEvent(
  deps: PaymentEventDeps,
  delivery: { signature: string | undefined; rawBody: string },
  now: Date,
): Promise<PaymentEventResult> {
  const check = verifySignature(delivery.signature, delivery.rawBody, deps.secret, Math.floor(now.getTime() / 1000));
  if (!check.valid)
    throw new UnauthorizedError(`The payment signature is not valid: ${check.reason}.`, 'invalid_signature');

  const event = parseEvent(delivery.rawBody);
  const recorded = await deps.events.record(event, now);
  if (recorded === 'done') return { eventId: event.id, outcome: 'duplicate', duplicate: true };

  const { outcome, anomaly } = await apply(deps, event, now);
  await deps.events.finish(event.id, outcome, anomaly, now);
  await deps.audit.record({
    orderId: event.orderId,
    event: `payment-event-${outcome}`,
    at: now,
    detail: { eventId: event.id, type: event.type, amountCents: event.amountCents, anomaly },
  });
  return { eventId: event.id, outcome, duplicate: recorded === 'seen' };
}

function parseEvent(rawBody: string): PaymentWebhookEvent {
  const json = parseJsonText(rawBody);
  if (!json.ok) throw new ValidationError([{ path: json.path.join('.') || ROOT_PATH, message: json.message }]);
  const parsed = PaymentWebhookEventSchema.safeParse(json.value);
  if (!parsed.success) throw new ValidationError(issuesToErrors(parsed.error));
  return parsed.data;
}

async function apply(
  deps: PaymentEventDeps,
  event: PaymentWebhookEvent,
  now: Date,
): Promise<{ outcome: string; anomaly: boolean }> {
  const order = await deps.orders.get(event.orderId);
  if (!order) return { outcome: 'unknown_order', anomaly: true };
  if (isImmediatePayment(order.payment.method)) return { outcome: 'not_awaiting_credit', anomaly: true };
  // The workflow keeps its task token on the order a moment after the order is placed; an event
  // that arrives before that is answered 503 (not recorded as done), so the provider redelivers it.
  const open = order.status === 'pending_payment' || order.status === 'activating';
  const token = open ? await deps.orders.getTaskToken(order.orderId) : undefined;
  if (order.status === 'pending_payment' && !token) {
    throw new RetryLaterError(
      `Order ${order.orderId} is not waiting for its payment yet; deliver the event again later.`,
    );
  }

  if (event.type === 'payment.failed') {
    // One atomic step from pending: a failure never undoes a registered credit (nor the reverse),
    // however the two race. A redelivery of this failure finds the payment failed and resends it.
    const failedNow = await deps.orders.markPaymentFailed(order.orderId);
    const current = failedNow ? undefined : await deps.orders.get(order.orderId);
    if (!failedNow && (current?.payment.status !== 'failed' || current.status !== 'pending_payment')) {
      return { outcome: 'ignored_not_pending', anomaly: false };
    }
    if (!token) return { outcome: 'ignored_not_pending', anomaly: false };
    const resumed = await deps.callbacks.fail(token, ErrorName.PaymentFailed, `Payment provider event ${event.id}`);
    return { outcome: resumed === 'resumed' ? 'payment_failed' : 'wait_already_closed', anomaly: false };
  }

  // credit.registered or payment.succeeded: the credit must match the order to the cent.
  if (event.amountCents !== order.totals.grossCents) return { outcome: 'amount_mismatch', anomaly: true };
  if (order.status === 'cancelled' || order.status === 'failed')
    return { outcome: 'credit_for_closed_order', anomaly: true };

  // The order remembers which event paid it (as its charge id), so a redelivery of that event can
  // finish resuming the workflow while any other credit is a no-op.
  const paid = await deps.orders.markPaid(order.orderId, now, event.id);
  const current = paid ? undefined : await deps.orders.get(order.orderId);
  if (current?.payment.status === 'failed') return { outcome: 'credit_after_failure', anomaly: true };
  const redelivery = !paid && current?.chargeId === event.id;
  if (!paid && !redelivery) return { outcome: 'already_paid', anomaly: false };

  // Resume the wait; for a redelivery it may be resumed already (Step Functions then refuses the
  // token, harmlessly), or the earlier delivery may have stopped right before resuming it.
  if (!token) return { outcome: 'paid', anomaly: false };
  const resumed = await deps.callbacks.succeed(token, { paymentEventId: event.id });
  if (resumed === 'resumed' || redelivery) return { outcome: 'paid', anomaly: false };
  return { outcome: 'paid_after_wait_closed', anomaly: true };
}
