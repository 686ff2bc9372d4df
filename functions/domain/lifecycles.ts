/*
 * The lifecycles of an order, of its payment and of a mailbox, each declared once as a table of
 * legal moves: `from` → `to` by `event`. A row whose `to` is its `from` is an event allowed in that
 * status that does not change it (the order waits for its credit, a mailbox's auto-renewal is switched).
 * The repositories build their condition expressions from these tables (a write happens only from
 * a status the table allows), and the use cases ask them before acting.
 *
 * Can a suspended mailbox be renewed? Find `from: 'suspended', event: 'renew'` below: yes, it becomes active.
 */

export const ORDER_STATUSES = ['pending_payment', 'activating', 'completed', 'cancelled', 'failed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * `refund_required`: money was taken for an order that ended unfulfilled; the refund is recorded on
 * the order. `refunded`: the provider gave it back (a card or PayPal payment, refunded through Stripe).
 */
export const PAYMENT_STATUSES = ['pending', 'paid', 'failed', 'refund_required', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** The statuses the API shows. */
export const PUBLIC_MAILBOX_STATUSES = ['activating', 'active', 'suspended', 'deleted'] as const;
/**
 * `reserved` is the address held for an order not yet paid: not a mailbox yet (the API answers 404
 * for it). `absent` is no item at all under the address: never ordered, or its reservation released.
 */
export const MAILBOX_STATUSES = ['reserved', ...PUBLIC_MAILBOX_STATUSES] as const;
export type MailboxStatus = (typeof MAILBOX_STATUSES)[number];
export type MailboxState = MailboxStatus | 'absent';

export interface Transition<State extends string, Event extends string> {
  readonly from: State;
  readonly event: Event;
  readonly to: State;
}

/** A lifecycle table and the questions asked of it. */
export class Lifecycle<State extends string, Event extends string> {
  constructor(readonly transitions: readonly Transition<State, Event>[]) {
    const seen = new Set<string>();
    for (const { from, event } of transitions) {
      const key = `${from} ${event}`;
      if (seen.has(key)) throw new Error(`The lifecycle moves ${from} by ${event} twice.`);
      seen.add(key);
    }
  }

  /** The status `event` moves `from` to; undefined when the event is not allowed in `from`. */
  next(from: State, event: Event): State | undefined {
    return this.transitions.find((move) => move.from === from && move.event === event)?.to;
  }

  canMove(from: State, event: Event): boolean {
    return this.next(from, event) !== undefined;
  }

  /** The statuses `event` may leave from, in the table's order. */
  sourcesOf(event: Event): State[] {
    return this.transitions.filter((move) => move.event === event).map((move) => move.from);
  }

  /**
   * The one status `event` leads to.
   *
   * @throws {Error} when it depends on where the event starts (an event that keeps the status).
   */
  targetOf(event: Event): State {
    const targets = new Set(this.transitions.filter((move) => move.event === event).map((move) => move.to));
    const [target, ...others] = targets;
    if (target === undefined || others.length > 0) throw new Error(`${event} has no single target status.`);
    return target;
  }

  /** Whether `event` moves some status to another (false for an event that only keeps the status). */
  changesStatus(event: Event): boolean {
    return this.transitions.some((move) => move.event === event && move.from !== move.to);
  }

  /** Whether no event moves `state` to another status. */
  isFinal(state: State): boolean {
    return this.transitions.every((move) => move.from !== state || move.to === state);
  }
}

/**
 * An order's own status. The events `pay`, `decline` and `refund` move its payment too (below), and
 * `storefront_cancel` requires its payment still pending.
 */
export const orderLifecycle = new Lifecycle<
  OrderStatus,
  | 'pay'
  | 'decline'
  | 'await_payment'
  | 'await_dns'
  | 'fulfil'
  | 'complete'
  | 'fail'
  | 'cancel'
  | 'storefront_cancel'
  | 'refund'
  | 'refunded'
  | 'credit_back'
>([
  { from: 'pending_payment', event: 'await_payment', to: 'pending_payment' }, // the workflow waits for the credit
  { from: 'pending_payment', event: 'decline', to: 'pending_payment' }, // the workflow then closes it
  { from: 'pending_payment', event: 'pay', to: 'activating' },
  { from: 'activating', event: 'await_dns', to: 'activating' }, // PEC on the holder's domain: waits for its MX records
  { from: 'activating', event: 'fulfil', to: 'activating' }, // the mailbox is provisioned or extended
  { from: 'activating', event: 'complete', to: 'completed' },
  { from: 'pending_payment', event: 'fail', to: 'failed' },
  { from: 'activating', event: 'fail', to: 'failed' },
  { from: 'pending_payment', event: 'cancel', to: 'cancelled' }, // the wait for the credit ran out
  { from: 'activating', event: 'cancel', to: 'cancelled' }, // ... as a credit arrived: the closing refunds it
  // The storefront lets go of an order whose credit has not arrived (POST /orders/{orderId}/cancel); once
  // paid (activating), completed or failed it cannot. Its workflow then closes it like any cancelled order.
  { from: 'pending_payment', event: 'storefront_cancel', to: 'cancelled' },
  // Money taken for an order that ended unfulfilled is to be given back.
  { from: 'failed', event: 'refund', to: 'failed' },
  { from: 'cancelled', event: 'refund', to: 'cancelled' },
  // ... and then given back by the provider.
  { from: 'failed', event: 'refunded', to: 'failed' },
  { from: 'cancelled', event: 'refunded', to: 'cancelled' },
  // A reseller's order paid from its credit and ended unfulfilled: the credit is given back, once.
  { from: 'failed', event: 'credit_back', to: 'failed' },
  { from: 'cancelled', event: 'credit_back', to: 'cancelled' },
]);
export type OrderEvent = Parameters<typeof orderLifecycle.next>[1];

/** The payment of an order (`payment.status`). */
export const paymentLifecycle = new Lifecycle<
  PaymentStatus,
  'pay' | 'decline' | 'refund' | 'refunded' | 'storefront_cancel' | 'credit_back'
>([
  { from: 'pending', event: 'pay', to: 'paid' },
  // An order is cancelled by its storefront only while nothing was paid, nor reported failed.
  { from: 'pending', event: 'storefront_cancel', to: 'pending' },
  { from: 'pending', event: 'decline', to: 'failed' },
  { from: 'failed', event: 'decline', to: 'failed' }, // told again (a redelivered event, the workflow's closing)
  { from: 'paid', event: 'refund', to: 'refund_required' },
  // A charge the order never learned of (its answer was lost), found under the order's idempotency key.
  { from: 'pending', event: 'refund', to: 'refund_required' },
  // The provider refunded it (Stripe's refund succeeded, or its charge.refunded event said so).
  { from: 'refund_required', event: 'refunded', to: 'refunded' },
  // Paid from a reseller's credit: given back to the credit in the same transaction as the order's move.
  { from: 'paid', event: 'credit_back', to: 'refunded' },
]);

export type PaymentEvent = Parameters<typeof paymentLifecycle.next>[1];

/** A mailbox, from the reservation of its address to its deletion. */
export const mailboxLifecycle = new Lifecycle<
  MailboxState,
  'reserve' | 'release' | 'await_dns' | 'activate' | 'renew' | 'set_auto_renew' | 'suspend' | 'delete'
>([
  { from: 'absent', event: 'reserve', to: 'reserved' },
  { from: 'deleted', event: 'reserve', to: 'reserved' },
  // Only once its hold has expired, or by the same order again.
  { from: 'reserved', event: 'reserve', to: 'reserved' },
  // The order failed or was cancelled: the address is free again.
  { from: 'reserved', event: 'release', to: 'absent' },
  { from: 'activating', event: 'release', to: 'absent' },
  // PEC on the holder's own domain: shown as activating while its MX records are awaited.
  { from: 'reserved', event: 'await_dns', to: 'activating' },
  { from: 'activating', event: 'await_dns', to: 'activating' },
  { from: 'reserved', event: 'activate', to: 'active' },
  { from: 'activating', event: 'activate', to: 'active' },
  { from: 'active', event: 'activate', to: 'active' }, // the same order's activation again
  { from: 'active', event: 'renew', to: 'active' },
  { from: 'suspended', event: 'renew', to: 'active' }, // within the grace period
  { from: 'active', event: 'set_auto_renew', to: 'active' },
  { from: 'suspended', event: 'set_auto_renew', to: 'suspended' },
  { from: 'active', event: 'suspend', to: 'suspended' }, // expired: receive-only for the grace period
  { from: 'suspended', event: 'delete', to: 'deleted' }, // the grace period is over: contents gone
]);
export type MailboxEvent = Parameters<typeof mailboxLifecycle.next>[1];

/** Failed or cancelled: ended unfulfilled (a refund is recorded on it if money was taken). */
export const isClosedOrder = (status: OrderStatus): boolean => orderLifecycle.canMove(status, 'refund');

/** Whether an order may be paid now: it waits for its payment, which is still pending. */
export const canPay = (order: { status: OrderStatus; payment: { status: PaymentStatus } }): boolean =>
  orderLifecycle.canMove(order.status, 'pay') && paymentLifecycle.canMove(order.payment.status, 'pay');
