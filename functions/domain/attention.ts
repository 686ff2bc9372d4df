import { isImmediatePayment, type PaymentMethod } from './payment-methods.ts';

/*
 * When an order needs a person. Every open order carries an attention deadline: the moment by which
 * the workflow has promised to have moved it on (paid, activated, closed). The workflow's own
 * writes move the deadline along and remove it once the order is settled; an order still carrying
 * one past it is stuck, whatever stopped it (a step that kept failing, an execution that ended in
 * a state that needs an operator, one that never ran). A refund to make by hand is due at once.
 * So "what needs a person now" is one index query: every deadline up to now.
 */

/** A new mailbox is active within 10 minutes of its payment (the generic PEC domains). */
export const ACTIVATION_PROMISE_SECONDS = 10 * 60;
/** PEC on the holder's own domain: active within 48 hours of the payment (the holder must set the MX records). */
export const OWN_DOMAIN_ACTIVATION_PROMISE_SECONDS = 48 * 3600;
/**
 * A card or PayPal order is charged (or closed) within 2 hours of being placed: the charge takes
 * seconds, the wait for 3-D Secure or PayPal's approval at most the authentication wait (1 hour).
 */
export const IMMEDIATE_PAYMENT_PROMISE_SECONDS = 2 * 3600;
/** How long the workflow has to close an order once its payment deadline passed, or to finish a closing or completion it began. */
export const SETTLING_GRACE_SECONDS = 15 * 60;
/** A refund the system makes itself through the provider (card, PayPal) is done within the hour. */
export const PROVIDER_REFUND_PROMISE_SECONDS = 3600;

const after = (at: string, seconds: number) => new Date(Date.parse(at) + seconds * 1000).toISOString();

/** A placed order, waiting for its payment: by its payment deadline (transfer, slip), or the charge's promise. */
export function pendingDeadline(order: {
  createdAt: string;
  paymentDeadline?: string;
  payment: { method: PaymentMethod };
}): string {
  if (isImmediatePayment(order.payment.method) || !order.paymentDeadline) {
    return after(order.createdAt, IMMEDIATE_PAYMENT_PROMISE_SECONDS);
  }
  return after(order.paymentDeadline, SETTLING_GRACE_SECONDS);
}

/** A paid order being activated: 10 minutes, or 48 hours for PEC on the holder's own domain. */
export const activationDeadline = (paidAt: string, domainPec: boolean): string =>
  after(paidAt, domainPec ? OWN_DOMAIN_ACTIVATION_PROMISE_SECONDS : ACTIVATION_PROMISE_SECONDS);

/** A closing or a completion that began at `at`: its remaining effects (refund, email, audit, documents) are done by then. */
export const settlingDeadline = (at: string): string => after(at, SETTLING_GRACE_SECONDS);

/** A refund recorded at `recordedAt`: due at once when it is made by hand, within the hour when the provider makes it. */
export const refundDeadline = (recordedAt: string, byProvider: boolean): string =>
  byProvider ? after(recordedAt, PROVIDER_REFUND_PROMISE_SECONDS) : recordedAt;

/** Why an order listed for attention needs a person, from where it stands. */
export type AttentionReason =
  | 'refund_required'
  | 'payment_overdue'
  | 'activation_overdue'
  | 'closing_unfinished'
  | 'completion_unfinished';

export function attentionReason(order: { status: string; payment: { status: string } }): AttentionReason {
  if (order.payment.status === 'refund_required') return 'refund_required';
  switch (order.status) {
    case 'pending_payment':
      return 'payment_overdue';
    case 'activating':
      return 'activation_overdue';
    case 'completed':
      return 'completion_unfinished';
    default:
      return 'closing_unfinished';
  }
}

/**
 * The errors of the order workflow's executions that end as designed: the order failed (declined,
 * impossible) or was cancelled, and is closed (its Fail states). An execution that fails with any
 * other error stopped in a step that kept failing (closing or completing the order): an operator
 * state, which a redrive resumes in that step.
 */
export const CLOSED_AS_DESIGNED: readonly string[] = ['OrderFailed', 'OrderCancelled'];
