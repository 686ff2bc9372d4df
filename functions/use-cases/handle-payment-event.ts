import { ErrorName, RetryLaterError, UnauthorizedError, ValidationError } from '../domain/errors.ts';
import { parseJsonText } from '../domain/json-text.ts';
import { isClosedOrder, orderLifecycle } from '../domain/lifecycles.ts';
import type { Payer } from '../domain/order.ts';
import { isImmediatePayment } from '../domain/payment-methods.ts';
import { type PaymentWebhookEvent, PaymentWebhookEventSchema, parseOrThrow, ROOT_PATH } from '../domain/schemas.ts';
import { verifySignature } from '../domain/webhook-signature.ts';
import { BusinessCount, type BusinessMetrics } from './business-metrics.ts';
import type {
  AuditLog,
  OrderRepository,
  PaymentEventRefund,
  PaymentEventRepository,
  ResellerRepository,
  WorkflowCallbacks,
} from './ports.ts';
import { creditTopUpEvent } from './top-ups.ts';

export interface PaymentEventDeps {
  orders: Pick<OrderRepository, 'get' | 'markPaid' | 'markPaymentFailed' | 'getTaskToken'>;
  /** Resellers' top-ups, which a credit's reference may name instead of an order. */
  topUps?: Pick<ResellerRepository, 'getTopUp' | 'creditTopUp' | 'rearmLowBalanceNotice'>;
  events: PaymentEventRepository;
  callbacks: WorkflowCallbacks;
  audit: AuditLog;
  secret: string;
  /** Where paid orders and anomalies are counted (absent: nothing is). */
  metrics?: BusinessMetrics;
}

export interface PaymentEventResult {
  eventId: string;
  outcome: string;
  duplicate: boolean;
  /** Money received that pays no order: recorded with the event, to be given back. */
  refundRequired: boolean;
}

/**
 * A payment event to register: a provider's webhook event, or a credit read from the bank's
 * statement (`use-cases/bank-statements.ts`), which may quote no order (`orderId` absent) and says
 * who paid (`payer`, kept on the event's record, on its refund and on the order it pays).
 */
export type IncomingPaymentEvent = Omit<PaymentWebhookEvent, 'orderId'> & {
  orderId?: string;
  payer?: Payer;
  /** What the source said about the event, kept on its record for an operator (a statement's entry). */
  source?: Record<string, unknown>;
};

/** What an event did; `refund` for a credit that pays no order. */
interface Applied {
  outcome: string;
  anomaly: boolean;
  refund?: PaymentEventRefund;
}

/**
 * A payment provider's webhook delivery:
 * 1. the signature is checked over the raw body (a bad or stale one changes nothing);
 * 2. the event is recorded by id: one that already took effect is acknowledged and ignored;
 * 3. a credit of exactly the order's gross total marks a waiting order paid, and resumes its
 *    workflow with the task token kept on the order; a failed payment fails the wait;
 * 4. anything else (unknown order, wrong amount, an event for an order no longer waiting) is
 *    recorded as an outcome and, where an operator should look, as an anomaly; a credit that pays
 *    no order (a second credit, another currency than EUR, a wrong amount, a closed order) is
 *    money to give back, so its anomaly is recorded as refund-required.
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

  const { anomaly: _anomaly, ...result } = await registerPaymentEvent(deps, parseEvent(delivery.rawBody), now);
  return result;
}

/**
 * Steps 2 to 4 of `handlePaymentEvent` for an event already authenticated and validated: the one
 * place a credit or a failure takes effect, whether a webhook or a bank statement reported it.
 */
export async function registerPaymentEvent(
  deps: Omit<PaymentEventDeps, 'secret'>,
  event: IncomingPaymentEvent,
  now: Date,
): Promise<PaymentEventResult & { anomaly: boolean }> {
  const recorded = await deps.events.record(event, now);
  if (recorded === 'done') {
    return { eventId: event.id, outcome: 'duplicate', duplicate: true, refundRequired: false, anomaly: false };
  }

  const applied = await apply(deps, event, now);
  const { outcome, anomaly, refund } = applied;
  // The audit entry first: once the event is finished, a redelivery is answered as a duplicate.
  // (A credit that names no order has no order history to add to: its record is the anomaly.)
  if (event.orderId !== undefined) {
    await deps.audit.record({
      orderId: event.orderId,
      event: 'payment-event',
      ref: event.id,
      at: now,
      detail: {
        eventId: event.id,
        type: event.type,
        amountCents: event.amountCents,
        currency: event.currency,
        outcome,
        anomaly,
        ...(refund ? { refund: 'refund-required' } : {}),
      },
    });
  }
  await deps.events.finish(event.id, applied, now);
  if (anomaly) deps.metrics?.count(BusinessCount.PaymentAnomalies);
  return { eventId: event.id, outcome, duplicate: recorded === 'seen', refundRequired: refund !== undefined, anomaly };
}

/** A credit that pays no order: an anomaly, with the money to give back (and to whom, when known). */
const toRefund = (event: IncomingPaymentEvent, outcome: string): Applied => ({
  outcome,
  anomaly: true,
  refund: {
    status: 'required',
    amountCents: event.amountCents,
    currency: event.currency,
    ...(event.payer ? { payer: event.payer } : {}),
  },
});

function parseEvent(rawBody: string): PaymentWebhookEvent {
  const json = parseJsonText(rawBody);
  if (!json.ok) throw new ValidationError([{ path: json.path.join('.') || ROOT_PATH, message: json.message }]);
  return parseOrThrow(PaymentWebhookEventSchema, json.value);
}

async function apply(deps: Omit<PaymentEventDeps, 'secret'>, event: IncomingPaymentEvent, now: Date): Promise<Applied> {
  const credit = event.type !== 'payment.failed';
  const order = event.orderId === undefined ? undefined : await deps.orders.get(event.orderId);
  const topUp = !order && event.orderId !== undefined ? await deps.topUps?.getTopUp(event.orderId) : undefined;
  if (topUp && deps.topUps) {
    return creditTopUpEvent(deps.topUps, topUp, event, now, (outcome) => toRefund(event, outcome));
  }
  if (!order) {
    const outcome = event.orderId === undefined ? 'no_order_reference' : 'unknown_order';
    return credit ? toRefund(event, outcome) : { outcome, anomaly: true };
  }
  if (isImmediatePayment(order.payment.method)) {
    // A card or PayPal order is charged by its workflow: the provider's notice of that charge is no
    // credit. A bank credit quoting its reference (a transfer the holder made as well) is money
    // received that pays nothing, to give back.
    if (event.type === 'credit.registered') return toRefund(event, 'credit_for_card_order');
    return { outcome: 'not_awaiting_credit', anomaly: true };
  }

  if (credit) {
    // The credit must be in euro and match the order to the cent, and the order must still want it.
    if (event.currency !== 'EUR') return toRefund(event, 'currency_mismatch');
    if (event.amountCents !== order.totals.grossCents) return toRefund(event, 'amount_mismatch');
    if (isClosedOrder(order.status)) return toRefund(event, 'credit_for_closed_order');
  }

  // The workflow keeps its task token on the order a moment after the order is placed; an event
  // that arrives before that is answered 503 (not recorded as done), so the provider redelivers it.
  const waiting = orderLifecycle.canMove(order.status, 'await_payment');
  const token = orderLifecycle.isFinal(order.status) ? undefined : await deps.orders.getTaskToken(order.orderId);
  if (waiting && !token) {
    throw new RetryLaterError(
      `Order ${order.orderId} is not waiting for its payment yet; deliver the event again later.`,
    );
  }

  if (!credit) {
    // One atomic step on a waiting order: a failure never undoes a registered credit (nor the
    // reverse), however the two race. A redelivery of this failure finds the payment failed (the
    // lifecycle allows that) and resends it.
    if (!token || !(await deps.orders.markPaymentFailed(order.orderId))) {
      return { outcome: 'ignored_not_pending', anomaly: false };
    }
    const resumed = await deps.callbacks.fail(token, ErrorName.PaymentFailed, `Payment provider event ${event.id}`);
    return { outcome: resumed === 'resumed' ? 'payment_failed' : 'wait_already_closed', anomaly: false };
  }

  // The order remembers which event paid it (as its charge id), so a redelivery of that event can
  // finish resuming the workflow, while any other credit is money received twice.
  const paid = await deps.orders.markPaid(order.orderId, now, event.id, event.payer);
  if (paid) deps.metrics?.count(BusinessCount.OrdersPaid);
  if (!paid) {
    const current = await deps.orders.get(order.orderId);
    if (current && isClosedOrder(current.status)) return toRefund(event, 'credit_for_closed_order');
    if (current?.payment.status === 'failed') return toRefund(event, 'credit_after_failure');
    if (current?.chargeId !== event.id) return toRefund(event, 'duplicate_credit');
  }

  // Resume the wait; for a redelivery it may be resumed already (Step Functions then refuses the
  // token, harmlessly), or the earlier delivery may have stopped right before resuming it.
  if (!token) return { outcome: 'paid', anomaly: false };
  const resumed = await deps.callbacks.succeed(token, { paymentEventId: event.id });
  if (resumed === 'resumed' || !paid) return { outcome: 'paid', anomaly: false };
  // The wait was over (given up by a retried wait, which then finds the order paid and goes on; or
  // timed out, and the cancelled order's refund is recorded by its closing).
  return { outcome: 'paid_after_wait_closed', anomaly: true };
}
