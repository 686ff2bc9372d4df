import { creditorReference } from './creditor-reference.ts';
import { orderLifecycle, type PaymentStatus, paymentLifecycle } from './lifecycles.ts';
import type { OrderDocuments } from './order-documents.ts';
import { isImmediatePayment, type PaymentMethod, type SavedPaymentMethod } from './payment-methods.ts';
import type { ExtraGb } from './renewal-plan.ts';
import type { NextAction, PublicOrder } from './schemas.ts';
import { orderTotals } from './totals.ts';

/**
 * What automatic renewals can charge after this order: the payment method its card or PayPal
 * payment saved with the provider (a transfer, or a payment that saved none, has nothing).
 */
export function renewalPaymentOf(order: Pick<Order, 'savedPaymentMethod'>): SavedPaymentMethod | undefined {
  return order.savedPaymentMethod;
}

export type OrderKind = PublicOrder['kind'];

/** An order as the system keeps it: the public view (`PublicOrder`) plus what only the back office sees. */
export interface Order extends Omit<PublicOrder, 'payment' | 'documents'> {
  /** The storefront (API key id) that placed the order: no other storefront sees it. */
  storefrontId: string;
  /**
   * For an automatic renewal: the term it renews (the expiry it was placed for) and which attempt it
   * is (1 the charge, 2 to 4 the retries after a decline; the renewal policy's `ChargeAttempt`).
   */
  autoRenewal?: { expiresAt: string; attempt: number };
  /** `paymentMethod` or `token`: what the storefront collected for a card or PayPal payment. */
  payment: Omit<PublicOrder['payment'], 'status' | 'nextAction'> & {
    /** The payment's own status (`requires_action` is only how the public view shows a kept `nextAction`). */
    status: PaymentStatus;
    token?: string;
    paymentMethod?: string;
    /** An off-session charge (an automatic renewal): the provider's customer the saved `paymentMethod` belongs to. */
    customerId?: string;
    /**
     * Charged while the holder is away (an automatic renewal started by the sweep): a payment that
     * would need the holder to authenticate is a decline, never a wait for them.
     */
    offSession?: boolean;
  };
  holder: Record<string, unknown> & { email: string };
  billing: Record<string, unknown>;
  /** New orders: the general contract conditions the holder accepted, and when (kept with the record of the sale). */
  consents?: AcceptedConsents;
  /** Fingerprint of the request that created the order, to tell a replay from a reused Idempotency-Key. */
  requestHash: string;
  /** When a bank transfer or postal slip order stops waiting for the credit. */
  paymentDeadline?: string;
  failureReason?: string;
  /** When the order was closed (failed or cancelled). */
  closedAt?: string;
  chargeId?: string;
  /** Why the payment was declined, as the provider said it (`card_declined`, `authentication_required`...). */
  declineReason?: string;
  /**
   * The payment method the provider saved with this order's card or PayPal payment, which automatic
   * renewals of the mailbox charge off-session (kept when the order is marked paid).
   */
  savedPaymentMethod?: SavedPaymentMethod;
  /**
   * The payment provider's payment for a card or PayPal order (a Stripe PaymentIntent), kept before
   * any money is asked for, so whatever became of it can always be looked up.
   */
  providerPaymentId?: string;
  /**
   * What the holder must do for that payment to go through (3-D Secure, PayPal's approval), kept when
   * the provider asked for it: the order shows `payment.status: requires_action` while it waits.
   */
  nextAction?: NextAction;
  /** Who paid, when the bank's statement said so (a bank transfer): whom to give the money back to. */
  paidBy?: Payer;
  /** Money taken for an order that ended unfulfilled, to be given back. */
  refund?: Refund;
  /** A new card or PayPal order: when its confirmation was sent (a transfer's is its payment instructions). */
  orderConfirmationSentAt?: string;
  firstAccessEmailSentAt?: string;
  paymentInstructionsSentAt?: string;
  /** PEC on the holder's own domain: when the holder was told which MX records to set. */
  dnsInstructionsSentAt?: string;
  /** When the holder was told that the order failed or was cancelled. */
  closeEmailSentAt?: string;
  /** A renewal: when the holder was told the new expiry. */
  renewalEmailSentAt?: string;
  /** When the mailbox was activated, kept only while that activation's audit entry could not be written. */
  unauditedActivationAt?: string;
  /** A reseller's order: where the signed contract and the holder's identity document are uploaded to. */
  documents?: OrderDocuments;
  /**
   * A reseller's order that chose the holder's initial password: the mailbox is created with it and no
   * first-access email is sent. The password itself is never part of the order (see `OrderRepository.initialPasswordCredential`).
   */
  initialPasswordByReseller?: true;
}

/** The version of the general contract conditions a holder accepted, and when the order carrying it was placed. */
export interface AcceptedConsents {
  termsVersion: string;
  acceptedAt: string;
}

/** The emails an order sends at most once, each remembered by the time its sending was claimed. */
export type OrderEmailField =
  | 'orderConfirmationSentAt'
  | 'firstAccessEmailSentAt'
  | 'paymentInstructionsSentAt'
  | 'dnsInstructionsSentAt'
  | 'closeEmailSentAt'
  | 'renewalEmailSentAt';

/** A refund to make: what was taken, under which charge (or payment event), and why it goes back. */
export interface Refund {
  /** `refunded` once the provider gave the money back (a card or PayPal payment; a transfer is refunded by hand). */
  status: 'required' | 'refunded';
  /** The provider's refund (Stripe: `re_...`), once made. */
  refundId?: string;
  refundedAt?: string;
  /** A refund made by hand: the operator who recorded it (the IAM caller). */
  refundedBy?: string;
  /** The gateway's charge id, or the payment event id of a registered credit. */
  chargeId: string;
  amountCents: number;
  currency: 'EUR';
  reason: string;
  recordedAt: string;
  /** The account that paid, when known (a transfer registered from a bank statement): where an operator sends it back. */
  payer?: Payer;
}

/** The payer of a credit as a bank statement names it: the name and the IBAN the money came from. */
export interface Payer {
  name?: string;
  iban?: string;
}

/** The `failureReason` of an order its storefront cancelled (POST /orders/{orderId}/cancel). */
export const CANCELLED_BY_STOREFRONT = 'cancelled_by_storefront';

/**
 * Whether the storefront may cancel the order now: it waits for a bank transfer or postal slip whose
 * credit has neither arrived nor been reported failed. A card or PayPal order is charged at once and
 * never waits: while it shows `pending_payment` the charge is under way, and cancelling then could
 * end with the money taken, so it is not cancellable (a declined charge closes it anyway).
 */
export const isCancellableByStorefront = (order: Pick<Order, 'status' | 'payment'>): boolean =>
  !isImmediatePayment(order.payment.method) &&
  orderLifecycle.canMove(order.status, 'storefront_cancel') &&
  paymentLifecycle.canMove(order.payment.status, 'storefront_cancel');

/** Whether a storefront may see this order: only the one that placed it (another one gets a 404). */
export const isOrderOf = (order: Order | undefined, storefrontId: string): order is Order =>
  order !== undefined && order.storefrontId === storefrontId;

/** The contract's view of an order: no holder data, no payment token. */
export function toPublicOrder(order: Order): PublicOrder {
  // Still waiting for its payment, which waits for the holder.
  const awaitsHolder =
    order.nextAction !== undefined && order.status === 'pending_payment' && order.payment.status === 'pending';
  return {
    orderId: order.orderId,
    kind: order.kind,
    status: order.status,
    mailbox: order.mailbox,
    years: order.years,
    totals: order.totals,
    ...(order.extraGb ? { extraGb: order.extraGb } : {}),
    payment: {
      method: order.payment.method,
      status: awaitsHolder ? 'requires_action' : order.payment.status,
      reference: order.payment.reference,
      ...(awaitsHolder && order.nextAction ? { nextAction: order.nextAction } : {}),
    },
    createdAt: order.createdAt,
    paidAt: order.paidAt,
    completedAt: order.completedAt,
  };
}

/** Crockford's base32: no I, L, O, U, so an id read aloud or typed into a bank form survives. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ORDER_ID_LENGTH = 12;

/**
 * Turns 60 bits of entropy (or of a hash, for an idempotent order) into a 12-character order id.
 * Short enough to quote in a bank transfer's RF reference.
 */
export function orderIdFromBytes(bytes: Uint8Array): string {
  if (bytes.length < 8) throw new RangeError('an order id needs at least 8 bytes');
  let value = 0n;
  for (const byte of bytes.subarray(0, 8)) value = (value << 8n) | BigInt(byte);
  let id = '';
  for (let i = 0; i < ORDER_ID_LENGTH; i++) {
    id += CROCKFORD[Number(value & 31n)];
    value >>= 5n;
  }
  return id;
}

export const ORDER_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{12}$/;

/**
 * The order a valid RF creditor reference names (`pendingOrder` quotes `RF` + check digits + the
 * order id), or undefined when what follows the check digits cannot be an order id.
 */
export function orderIdOfReference(compactReference: string): string | undefined {
  const orderId = compactReference.slice(4);
  return ORDER_ID_PATTERN.test(orderId) ? orderId : undefined;
}

export interface NewOrder {
  orderId: string;
  storefrontId: string;
  kind: OrderKind;
  mailbox: Order['mailbox'];
  years: number;
  payment: { method: PaymentMethod; token?: string; paymentMethod?: string; customerId?: string; offSession?: boolean };
  holder: Order['holder'];
  billing: Order['billing'];
  /** A renewal: the extra GB it buys for the new period (priced in its totals); none when absent. */
  extraGb?: ExtraGb;
  /** New orders: the version of the conditions accepted with the request (accepted `now`). */
  termsVersion?: string;
  requestHash: string;
  now: Date;
  /** How long a transfer or postal slip order waits for its credit. */
  paymentWaitSeconds: number;
}

/**
 * A new order waiting for its payment: the plan's totals for its years, the RF reference a
 * transfer must quote, and for a transfer or postal slip the moment it stops waiting.
 */
export function pendingOrder(input: NewOrder): Order {
  const { orderId, now, payment } = input;
  return {
    orderId,
    storefrontId: input.storefrontId,
    kind: input.kind,
    status: 'pending_payment',
    mailbox: input.mailbox,
    years: input.years,
    totals: orderTotals(input.mailbox.type, input.years, input.extraGb),
    payment: {
      method: payment.method,
      status: 'pending',
      reference: creditorReference(orderId),
      ...(payment.token ? { token: payment.token } : {}),
      ...(payment.paymentMethod ? { paymentMethod: payment.paymentMethod } : {}),
      ...(payment.customerId ? { customerId: payment.customerId } : {}),
      ...(payment.offSession ? { offSession: true } : {}),
    },
    holder: input.holder,
    billing: input.billing,
    ...(input.extraGb ? { extraGb: input.extraGb } : {}),
    ...(input.termsVersion ? { consents: { termsVersion: input.termsVersion, acceptedAt: now.toISOString() } } : {}),
    createdAt: now.toISOString(),
    paidAt: null,
    completedAt: null,
    requestHash: input.requestHash,
    ...(isImmediatePayment(payment.method)
      ? {}
      : { paymentDeadline: new Date(now.getTime() + input.paymentWaitSeconds * 1000).toISOString() }),
  };
}
