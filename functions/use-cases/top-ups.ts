import { IdempotencyKeyReusedError, ResellerOnlyError } from '../domain/errors.ts';
import { isCreditPayment } from '../domain/payment-methods.ts';
import { pendingTopUp, type TopUp, toPublicTopUp, topUpMovementOf } from '../domain/reseller-credit.ts';
import type { TopUpRequest } from '../domain/schemas.ts';
import type { IncomingPaymentEvent } from './handle-payment-event.ts';
import { fingerprint, type IntakeContext, intakeOrderId } from './order-intake.ts';
import type { PaymentEventRefund, ResellerRepository } from './ports.ts';

/**
 * POST /reseller/credit/top-ups: a top-up by bank transfer or postal slip.
 * 1. named like an order (from the Idempotency-Key when there is one, so a replay finds it);
 * 2. stored pending with its RF reference and what to pay (the credit plus VAT);
 * 3. credited once, when the webhook or a bank statement registers its transfer (`creditTopUpEvent`).
 */
export async function requestTopUp(
  resellers: Pick<ResellerRepository, 'get' | 'createTopUp' | 'getTopUp'>,
  request: TopUpRequest,
  context: IntakeContext,
) {
  if (!(await resellers.get(context.storefrontId))) throw new ResellerOnlyError();
  const method = request.payment.method;
  if (!isCreditPayment(method)) throw new Error('The schema admits only bank_transfer and postal_slip top-ups.');
  const requestHash = fingerprint(request);
  const topUp = pendingTopUp({
    topUpId: intakeOrderId(context),
    resellerId: context.storefrontId,
    amountCents: request.amountCents,
    method,
    requestHash,
    now: context.now,
  });
  if ((await resellers.createTopUp(topUp)) === 'created') return { topUp: toPublicTopUp(topUp), replayed: false };
  const existing = await resellers.getTopUp(topUp.topUpId);
  if (!existing || existing.resellerId !== context.storefrontId || existing.requestHash !== requestHash) {
    throw new IdempotencyKeyReusedError();
  }
  return { topUp: toPublicTopUp(existing), replayed: true };
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
