import {
  IdempotencyKeyReusedError,
  PaymentDeclinedError,
  PaymentGatewayUnavailableError,
  ResellerOnlyError,
  RetryLaterError,
} from '../domain/errors.ts';
import { type CreditPaymentMethod, credentialOf, isImmediatePayment } from '../domain/payment-methods.ts';
import {
  type AnsweredTopUp,
  type CardTopUpPayment,
  isCardTopUp,
  pendingCardTopUp,
  pendingTopUp,
  type TopUp,
  toPublicTopUp,
  topUpMovementOf,
} from '../domain/reseller-credit.ts';
import type { TopUpRequest } from '../domain/schemas.ts';
import type { IncomingPaymentEvent } from './handle-payment-event.ts';
import { fingerprint, type IntakeContext, intakeOrderId } from './order-intake.ts';
import type { ChargeResult, PaymentEventRefund, PaymentGateway, ResellerRepository } from './ports.ts';

/** What requesting and charging a top-up needs. */
export interface TopUpDeps {
  resellers: Pick<
    ResellerRepository,
    'get' | 'createTopUp' | 'getTopUp' | 'saveTopUpPayment' | 'declineTopUp' | 'creditTopUp' | 'rearmLowBalanceNotice'
  >;
  /** Charges card and PayPal top-ups (Stripe). */
  gateway: PaymentGateway;
}

/** The provider's idempotency key of a top-up's one payment (Stripe keeps it 24 hours; the id is kept on the top-up). */
export const topUpChargeKeyOf = (topUpId: string) => `topup-${topUpId}`;
/** The idempotency key of the one confirmation of that payment. */
export const topUpConfirmKeyOf = (topUpId: string) => `topup-${topUpId}-confirm`;

type CardTopUp = TopUp & { payment: CardTopUpPayment };
type TopUpPaymentRequest = TopUpRequest['payment'];

/** A card or PayPal payment, with what the reseller collected with Stripe.js. */
const isCardPayment = (
  payment: TopUpPaymentRequest,
): payment is Exclude<TopUpPaymentRequest, { method: CreditPaymentMethod }> => isImmediatePayment(payment.method);

/**
 * POST /reseller/credit/top-ups: a top-up by bank transfer or postal slip, or by card or PayPal.
 * 1. named like an order (from the Idempotency-Key when there is one, so a replay finds it);
 * 2. stored pending with what to pay (the credit plus VAT): a transfer's RF reference, or the
 *    card or PayPal credential the reseller collected with Stripe.js;
 * 3. a transfer is credited once, when the webhook or a bank statement registers it
 *    (`creditTopUpEvent`); a card or PayPal top-up is charged at once (`chargeTopUp`).
 * A replay of a card top-up finishes what the first request left (asking the provider, never
 * charging twice) and answers what the top-up is now.
 */
export async function requestTopUp(deps: TopUpDeps, request: TopUpRequest, context: IntakeContext) {
  if (!(await deps.resellers.get(context.storefrontId))) throw new ResellerOnlyError();
  const requestHash = fingerprint(request);
  const base = {
    topUpId: intakeOrderId(context),
    resellerId: context.storefrontId,
    amountCents: request.amountCents,
    requestHash,
    now: context.now,
  };
  const { payment } = request;
  let topUp: TopUp;
  if (isCardPayment(payment)) {
    const credential = credentialOf(payment);
    if (!credential) throw new Error('The schema admits a card or PayPal top-up only with paymentMethod or token.');
    topUp = pendingCardTopUp({ ...base, method: payment.method, credential });
  } else {
    topUp = pendingTopUp({ ...base, method: payment.method });
  }
  let replayed = false;
  if ((await deps.resellers.createTopUp(topUp)) === 'exists') {
    const existing = await deps.resellers.getTopUp(topUp.topUpId);
    if (!existing || existing.resellerId !== context.storefrontId || existing.requestHash !== requestHash) {
      throw new IdempotencyKeyReusedError();
    }
    topUp = existing;
    replayed = true;
  }
  const answered = isCardTopUp(topUp) ? await chargeTopUp(deps, topUp, context.now) : settled(topUp);
  return { topUp: toPublicTopUp(answered), replayed };
}

/**
 * Charges a card or PayPal top-up once and credits it, the way ChargePayment charges an order:
 * 1. the provider's payment is created (idempotency key `topup-<id>`, the top-up's id in its
 *    metadata, never an order's) and kept on the top-up before it is confirmed, unless an earlier
 *    request did; a kept one is asked what became of it, never confirmed twice;
 * 2. succeeded: the top-up is credited in one transaction with its movement and the balance, keyed
 *    by the top-up (so Stripe's `payment_intent.succeeded` for it changes nothing more);
 * 3. declined: the top-up is marked declined and the answer is a 402 naming `payment`, nothing credited;
 * 4. waiting for the reseller (3-D Secure, PayPal's approval): the top-up stays pending with what to
 *    do (`payment.nextAction`), and Stripe's webhook credits it once the payment succeeds.
 * The provider unreachable is a 503: the same request (same Idempotency-Key) finishes the charge.
 */
export async function chargeTopUp(deps: TopUpDeps, topUp: CardTopUp, now: Date): Promise<AnsweredTopUp> {
  if (topUp.status !== 'pending') return settled(topUp);
  let result: ChargeResult | undefined;
  let paymentId = topUp.providerPaymentId;
  try {
    result = paymentId ? await deps.gateway.findPayment(paymentId) : undefined;
    if (!paymentId) {
      paymentId = await deps.gateway.createPayment({
        topUpId: topUp.topUpId,
        idempotencyKey: topUpChargeKeyOf(topUp.topUpId),
        amountCents: topUp.totals.grossCents,
        currency: 'EUR',
        method: topUp.payment.method,
        description: `Ricarica credito prepagato ${topUp.topUpId}`,
      });
      // Kept before it is confirmed: money is only ever asked for on a payment the top-up knows.
      if (!(await deps.resellers.saveTopUpPayment(topUp.topUpId, paymentId))) return settled(await reload(deps, topUp));
    }
    result ??= await deps.gateway.confirmPayment(paymentId, {
      idempotencyKey: topUpConfirmKeyOf(topUp.topUpId),
      credential: topUp.payment.credential,
    });
  } catch (error) {
    if (error instanceof PaymentGatewayUnavailableError) {
      throw new RetryLaterError(
        'The payment provider cannot be reached: send the same request again (same Idempotency-Key) to finish the top-up.',
        { cause: error },
      );
    }
    throw error;
  }

  if (result.status === 'succeeded') {
    await creditCharged(deps.resellers, topUp, paymentId, now);
  } else if (result.status === 'declined') {
    await deps.resellers.declineTopUp(topUp.topUpId, result.reason);
  } else {
    await deps.resellers.saveTopUpPayment(topUp.topUpId, paymentId, result.nextAction);
  }
  return settled(await reload(deps, topUp));
}

/**
 * Credits a top-up whose charge `paymentId` succeeded: one transaction (the top-up credited by that
 * charge, its movement, the balance); `credited` for the one that did, `already` when that charge
 * credited it before, `declined` when it was declined first, `other` when something else credited it.
 */
async function creditCharged(
  resellers: Pick<ResellerRepository, 'creditTopUp' | 'getTopUp' | 'rearmLowBalanceNotice'>,
  topUp: TopUp,
  paymentId: string,
  now: Date,
): Promise<'credited' | 'already' | 'declined' | 'other'> {
  if ((await resellers.creditTopUp(topUp, topUpMovementOf(topUp, now), paymentId)) === 'credited') {
    await resellers.rearmLowBalanceNotice(topUp.resellerId);
    return 'credited';
  }
  const current = await resellers.getTopUp(topUp.topUpId);
  if (current?.creditedBy === paymentId) return 'already';
  return current?.status === 'declined' ? 'declined' : 'other';
}

async function reload(deps: Pick<TopUpDeps, 'resellers'>, topUp: TopUp): Promise<TopUp> {
  const current = await deps.resellers.getTopUp(topUp.topUpId);
  if (!current) throw new Error(`Top-up ${topUp.topUpId} disappeared.`);
  return current;
}

/** A top-up as the answer shows it; a declined one is the 402 it was the first time. */
function settled(topUp: TopUp): AnsweredTopUp {
  if (topUp.status === 'declined') {
    const reason = topUp.declineReason ?? 'declined';
    throw new PaymentDeclinedError(`The payment was declined (${reason}): nothing was credited.`, [
      { path: 'payment', message: `Declined by the payment provider: ${reason}.` },
    ]);
  }
  return { ...topUp, status: topUp.status };
}

/**
 * Stripe's `payment_intent.succeeded` or `payment_intent.payment_failed` for a top-up's PaymentIntent
 * (its `metadata.topUpId`): succeeded credits it once (the charge answered at once, or after the
 * reseller's 3-D Secure), a redelivery or the request's own credit changing nothing; failed marks a
 * pending one declined. Money taken that credits nothing (another PaymentIntent, a declined top-up,
 * another amount) is an anomaly to give back; it is never money for an order.
 */
export async function topUpStripeEvent(
  resellers: Pick<ResellerRepository, 'getTopUp' | 'creditTopUp' | 'declineTopUp' | 'rearmLowBalanceNotice'>,
  event: { type: string; topUpId: string; paymentId?: string; amountCents: number; currency: string },
  now: Date,
): Promise<TopUpApplied> {
  const refund = (outcome: string): TopUpApplied => ({
    outcome,
    anomaly: true,
    refund: { status: 'required', amountCents: event.amountCents, currency: event.currency },
  });
  const topUp = await resellers.getTopUp(event.topUpId);
  const succeeded = event.type === 'payment_intent.succeeded';
  if (!topUp || !event.paymentId)
    return succeeded ? refund('unknown_top_up') : { outcome: 'unknown_top_up', anomaly: true };
  if (topUp.providerPaymentId !== event.paymentId) {
    return succeeded ? refund('not_the_top_up_payment') : { outcome: 'not_the_top_up_payment', anomaly: true };
  }
  if (!succeeded) {
    const declined = await resellers.declineTopUp(topUp.topUpId, 'payment_failed');
    return { outcome: declined ? 'top_up_declined' : 'top_up_failure_recorded', anomaly: false };
  }
  if (event.currency !== 'EUR') return refund('currency_mismatch');
  if (event.amountCents !== topUp.totals.grossCents) return refund('amount_mismatch');
  const credited = await creditCharged(resellers, topUp, event.paymentId, now);
  if (credited === 'credited' || credited === 'already') return { outcome: 'top_up_credited', anomaly: false };
  return refund(credited === 'declined' ? 'succeeded_for_declined_top_up' : 'duplicate_credit');
}

/** What registering a credit for a top-up did, as `registerPaymentEvent` records it. */
export interface TopUpApplied {
  outcome: string;
  anomaly: boolean;
  refund?: PaymentEventRefund;
}

/**
 * A payment event naming a top-up (its id in the RF reference): a credit of exactly its gross total
 * in euro credits the reseller, once; a redelivery of the event that credited it changes nothing;
 * any other credit (another amount or currency, a second transfer) is money to give back.
 */
export async function creditTopUpEvent(
  resellers: Pick<ResellerRepository, 'creditTopUp' | 'getTopUp' | 'rearmLowBalanceNotice'>,
  topUp: TopUp,
  event: IncomingPaymentEvent,
  now: Date,
  toRefund: (outcome: string) => TopUpApplied,
): Promise<TopUpApplied> {
  if (event.type === 'payment.failed') return { outcome: 'ignored_top_up_failure', anomaly: false };
  // A card or PayPal top-up is paid through Stripe: a transfer quoting its id is money to give back.
  if (isCardTopUp(topUp)) return toRefund('credit_for_card_top_up');
  if (event.currency !== 'EUR') return toRefund('currency_mismatch');
  if (event.amountCents !== topUp.totals.grossCents) return toRefund('amount_mismatch');
  const result = await resellers.creditTopUp(topUp, topUpMovementOf(topUp, now), event.id);
  if (result === 'credited') {
    await resellers.rearmLowBalanceNotice(topUp.resellerId);
    return { outcome: 'top_up_credited', anomaly: false };
  }
  // The event that credited it, retried after a failure, is no second credit.
  const current = await resellers.getTopUp(topUp.topUpId);
  if (current?.creditedBy === event.id) return { outcome: 'top_up_credited', anomaly: false };
  return toRefund('duplicate_credit');
}
