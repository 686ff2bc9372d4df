import { DEFAULT_RESELLER_PRICE_LIST, isAllowedYears, type MailboxType, resellerPriceLists } from './catalog.ts';
import { creditorReference } from './creditor-reference.ts';
import { type NewOrder, type Order, pendingOrder } from './order.ts';
import {
  type CreditPaymentMethod,
  type ImmediatePaymentMethod,
  type PaymentCredential,
  PREPAID_CREDIT,
} from './payment-methods.ts';
import type { NextAction, Totals } from './schemas.ts';
import { totalsFromNet } from './totals.ts';

/*
 * A reseller's prepaid credit is a ledger. Every movement is an item of its own, written in the same
 * transaction as the balance it changes, keyed so that it can exist only once (`<kind>#<reference>`:
 * one debit per order, one credit-back per order, one top-up per top-up), with the balance never
 * below zero as the transaction's condition. The balance is the sum of the movements, each signed
 * by its kind (the table below): tests derive it from the movements, never trust the counter alone.
 *
 * Credit is net of VAT: a deposit or top-up of 200 euro + VAT becomes 20,000 cents of credit (the VAT
 * is invoiced with the payment), and an order debits its net total at the reseller's price list.
 */

export const MOVEMENT_KINDS = ['deposit', 'top_up', 'debit', 'credit_back'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

/** Which way each kind of movement moves the balance. */
export const MOVEMENT_SIGN: Readonly<Record<MovementKind, 1 | -1>> = Object.freeze({
  deposit: 1, // the enrolment's first payment (locally: the opening deposit of the local reseller)
  top_up: 1, // a top-up, once its card charge succeeded or its transfer was registered
  debit: -1, // an order or a renewal paid from the credit, as it is placed
  credit_back: 1, // the debit of an order that failed or was cancelled, given back
});

/** A reseller: a storefront whose orders pay from its prepaid credit. Its id is its API key's id. */
export interface Reseller {
  resellerId: string;
  name: string;
  /** Where the reseller's own notices (low balance) go. */
  email: string;
  /** The catalog price list its orders are priced at (`catalog-data.json` `resellerPriceLists`). */
  priceList: string;
  balanceCents: number;
  /** A debit that takes the balance below this sends one low-balance email (0: never). */
  lowBalanceThresholdCents: number;
  /** Set when the low-balance email of the current crossing was claimed; cleared when the balance is back above. */
  lowBalanceNotifiedAt?: string;
  createdAt: string;
}

/** One movement of the ledger. */
export interface CreditMovement {
  /** `<kind>#<reference>`: the key that makes a second one of the same event impossible. */
  movementId: string;
  kind: MovementKind;
  /** Always positive; `kind` says which way it moved the balance. */
  amountCents: number;
  at: string;
  /** The order debited or credited back. */
  orderId?: string;
  /** The top-up credited. */
  topUpId?: string;
}

/** The id of a movement: one per kind and reference (order id, top-up id, `opening`). */
export const movementIdOf = (kind: MovementKind, reference: string) => `${kind}#${reference}`;

/** What a movement does to the balance, signed. */
export const signedAmount = (movement: Pick<CreditMovement, 'kind' | 'amountCents'>) =>
  MOVEMENT_SIGN[movement.kind] * movement.amountCents;

/** The balance the movements add up to. */
export const ledgerBalance = (movements: readonly Pick<CreditMovement, 'kind' | 'amountCents'>[]) =>
  movements.reduce((sum, movement) => sum + signedAmount(movement), 0);

/** The debit of an order paid from credit: its net total, once per order. */
export const debitOf = (order: Pick<Order, 'orderId' | 'totals'>, at: Date): CreditMovement => ({
  movementId: movementIdOf('debit', order.orderId),
  kind: 'debit',
  amountCents: order.totals.netCents,
  at: at.toISOString(),
  orderId: order.orderId,
});

/** The credit-back of an order's debit: the same amount, once per order. */
export const creditBackOf = (order: Pick<Order, 'orderId' | 'totals'>, at: Date): CreditMovement => ({
  movementId: movementIdOf('credit_back', order.orderId),
  kind: 'credit_back',
  amountCents: order.totals.netCents,
  at: at.toISOString(),
  orderId: order.orderId,
});

/**
 * What `years` years of a `type` mailbox cost at a reseller's price list (VAT on top, as on any order).
 *
 * @throws {RangeError} for years the catalog does not allow or a price list it does not have.
 */
export function resellerTotals(priceList: string, type: MailboxType, years: number): Totals {
  if (!isAllowedYears(years)) throw new RangeError(`years must be one of the catalog's durations, got ${years}`);
  const prices = resellerPriceLists[priceList] ?? resellerPriceLists[DEFAULT_RESELLER_PRICE_LIST];
  if (!prices) throw new RangeError(`No reseller price list ${priceList}`);
  return totalsFromNet(prices[type] * years);
}

/**
 * A reseller's order, paid as it is placed: priced at the reseller's price list, `activating` with
 * its payment `paid` by `credit` (its debit is written in the same transaction as the order).
 */
export function creditPaidOrder(input: Omit<NewOrder, 'payment'>, priceList: string): Order {
  const { paymentDeadline: _none, ...order } = pendingOrder({ ...input, payment: { method: PREPAID_CREDIT } });
  return {
    ...order,
    status: 'activating',
    totals: resellerTotals(priceList, input.mailbox.type, input.years),
    payment: { ...order.payment, status: 'paid' },
    paidAt: input.now.toISOString(),
  };
}

/**
 * Whether a debit that left `balanceCents` crosses the reseller's threshold downwards for the first
 * time since the balance was last above it (one email per crossing).
 */
export const isLowBalance = (reseller: Pick<Reseller, 'lowBalanceThresholdCents'>, balanceCents: number) =>
  reseller.lowBalanceThresholdCents > 0 && balanceCents < reseller.lowBalanceThresholdCents;

/** The contract's view of a movement. */
export const toPublicMovement = (movement: CreditMovement) => ({
  movementId: movement.movementId,
  kind: movement.kind,
  amountCents: movement.amountCents,
  at: movement.at,
  ...(movement.orderId ? { orderId: movement.orderId } : {}),
  ...(movement.topUpId ? { topUpId: movement.topUpId } : {}),
});

/** A top-up paid by bank transfer or postal slip: the RF reference its transfer quotes. */
export interface TransferTopUpPayment {
  method: CreditPaymentMethod;
  reference: string;
}

/**
 * A top-up paid by card or PayPal, charged at once: what the reseller collected with Stripe.js, and
 * while the payment waits for the reseller (3-D Secure, PayPal's approval) what they must do.
 */
export interface CardTopUpPayment {
  method: ImmediatePaymentMethod;
  credential: PaymentCredential;
  nextAction?: NextAction;
}

/**
 * A top-up of a reseller's credit: a payable of its own, with an id from the same alphabet as an
 * order's. By bank transfer or postal slip its RF reference is matched by the payment webhook and
 * the bank statements exactly like an order's, and it is credited once, when its credit is
 * registered; by card or PayPal it is charged at once (a PaymentIntent naming the top-up) and
 * credited once, when the charge succeeds (at once, or by Stripe's webhook after 3-D Secure).
 */
export interface TopUp {
  topUpId: string;
  resellerId: string;
  /** The credit it adds, net of VAT. */
  amountCents: number;
  /** What the reseller pays: the amount with VAT. */
  totals: Totals;
  payment: TransferTopUpPayment | CardTopUpPayment;
  /** `declined`: a card or PayPal charge the provider refused; nothing is credited, ever. */
  status: 'pending' | 'credited' | 'declined';
  createdAt: string;
  creditedAt?: string;
  /** The payment event (webhook event id, statement entry) or the card charge (PaymentIntent id) that credited it. */
  creditedBy?: string;
  /** A card or PayPal top-up's payment at the provider (Stripe: the PaymentIntent), kept before it is confirmed. */
  providerPaymentId?: string;
  /** Why the provider declined a card or PayPal top-up. */
  declineReason?: string;
  /** Fingerprint of the request, to tell an Idempotency-Key replay from a reused key. */
  requestHash: string;
}

/** A top-up as answers show it: a declined one is answered as the refusal it was (402), never shown. */
export type AnsweredTopUp = TopUp & { status: 'pending' | 'credited' };

/** Whether a top-up is paid by card or PayPal (charged at once) rather than by transfer. */
export const isCardTopUp = (topUp: Pick<TopUp, 'payment'>): topUp is TopUp & { payment: CardTopUpPayment } =>
  'credential' in topUp.payment;

/** A new top-up waiting for its transfer: VAT on top of the credit it buys, its RF reference. */
export function pendingTopUp(input: {
  topUpId: string;
  resellerId: string;
  amountCents: number;
  method: CreditPaymentMethod;
  requestHash: string;
  now: Date;
}): AnsweredTopUp & { payment: TransferTopUpPayment } {
  return {
    topUpId: input.topUpId,
    resellerId: input.resellerId,
    amountCents: input.amountCents,
    totals: totalsFromNet(input.amountCents),
    payment: { method: input.method, reference: creditorReference(input.topUpId) },
    status: 'pending',
    createdAt: input.now.toISOString(),
    requestHash: input.requestHash,
  };
}

/** A new top-up by card or PayPal, before its charge: VAT on top of the credit it buys, charged at once. */
export function pendingCardTopUp(input: {
  topUpId: string;
  resellerId: string;
  amountCents: number;
  method: ImmediatePaymentMethod;
  credential: PaymentCredential;
  requestHash: string;
  now: Date;
}): AnsweredTopUp & { payment: CardTopUpPayment } {
  return {
    topUpId: input.topUpId,
    resellerId: input.resellerId,
    amountCents: input.amountCents,
    totals: totalsFromNet(input.amountCents),
    payment: { method: input.method, credential: input.credential },
    status: 'pending',
    createdAt: input.now.toISOString(),
    requestHash: input.requestHash,
  };
}

/** The movement of a top-up: its credit, once per top-up. */
export const topUpMovementOf = (topUp: Pick<TopUp, 'topUpId' | 'amountCents'>, at: Date): CreditMovement => ({
  movementId: movementIdOf('top_up', topUp.topUpId),
  kind: 'top_up',
  amountCents: topUp.amountCents,
  at: at.toISOString(),
  topUpId: topUp.topUpId,
});

/**
 * The contract's view of a top-up: a transfer's RF reference; a card or PayPal payment's method and,
 * while it waits for the reseller, what to do (never the credential it was paid with).
 */
export const toPublicTopUp = ({
  topUpId,
  amountCents,
  totals,
  payment,
  status,
  createdAt,
  creditedAt,
}: AnsweredTopUp) => ({
  topUpId,
  amountCents,
  totals,
  payment:
    'credential' in payment
      ? {
          method: payment.method,
          ...(status === 'pending' && payment.nextAction ? { nextAction: payment.nextAction } : {}),
        }
      : { method: payment.method, reference: payment.reference },
  status,
  createdAt,
  creditedAt: creditedAt ?? null,
});
