import { describe, expect, it, vi } from 'vitest';
import { problemFor } from '../../../functions/adapters/http/problem.ts';
import {
  PaymentDeclinedError,
  PaymentGatewayUnavailableError,
  ResellerOnlyError,
  RetryLaterError,
} from '../../../functions/domain/errors.ts';
import { TopUpRequestSchema } from '../../../functions/domain/schemas.ts';
import { registerPaymentEvent } from '../../../functions/use-cases/handle-payment-event.ts';
import { requestTopUp, topUpStripeEvent } from '../../../functions/use-cases/top-ups.ts';
import {
  InMemoryMailboxRepository,
  InMemoryOrderRepository,
  InMemoryPaymentEventRepository,
  InMemoryPaymentGateway,
  InMemoryResellerRepository,
  RecordingAuditLog,
  RecordingCallbacks,
} from '../../support/fakes.ts';

/*
 * A reseller's top-up by transfer against the in-memory ports: requested, then credited once by the
 * payment event that names it, whatever else arrives.
 */

const now = new Date('2026-11-22T10:00:00.000Z');
const RESELLER = 'reseller-1';

function world() {
  const orders = new InMemoryOrderRepository();
  const resellers = new InMemoryResellerRepository(orders, new InMemoryMailboxRepository());
  resellers.resellers.set(RESELLER, {
    resellerId: RESELLER,
    name: 'R',
    email: 'r@example.com',
    priceList: 'reseller',
    balanceCents: 0,
    lowBalanceThresholdCents: 0,
    createdAt: now.toISOString(),
  });
  const events = new InMemoryPaymentEventRepository();
  const deps = {
    orders,
    events,
    callbacks: new RecordingCallbacks(),
    audit: new RecordingAuditLog(),
    topUps: resellers,
  };
  const gateway = new InMemoryPaymentGateway();
  const topUpDeps = { resellers, gateway };
  return { deps, resellers, events, gateway, topUpDeps };
}

const context = (storefrontId = RESELLER, idempotencyKey = 'k1') => ({
  now,
  storefrontId,
  idempotencyKey,
  randomBytes: new Uint8Array(8),
});
const body = TopUpRequestSchema.parse({ amountCents: 10_000, payment: { method: 'bank_transfer' } });
const credit = (id: string, orderId: string, amountCents: number, currency = 'EUR') => ({
  id,
  type: 'credit.registered' as const,
  orderId,
  amountCents,
  currency,
  occurredAt: now.toISOString(),
});

describe('top-ups by transfer', () => {
  it('is credited once by the transfer of its gross total; other credits are money to give back', async () => {
    const { deps, resellers, topUpDeps } = world();
    const { topUp } = await requestTopUp(topUpDeps, body, context());
    expect(topUp).toMatchObject({ status: 'pending', totals: { grossCents: 12_200 } });

    const short = await registerPaymentEvent(deps, credit('evt_1', topUp.topUpId, 10_000), now);
    const usd = await registerPaymentEvent(deps, credit('evt_2', topUp.topUpId, 12_200, 'USD'), now);
    const paid = await registerPaymentEvent(deps, credit('evt_3', topUp.topUpId, 12_200), now);
    const redelivered = await registerPaymentEvent(deps, credit('evt_3', topUp.topUpId, 12_200), now);
    const second = await registerPaymentEvent(deps, credit('evt_4', topUp.topUpId, 12_200), now);

    expect([short, usd, paid, redelivered, second].map((result) => [result.outcome, result.refundRequired])).toEqual([
      ['amount_mismatch', true],
      ['currency_mismatch', true],
      ['top_up_credited', false],
      ['duplicate', false],
      ['duplicate_credit', true],
    ]);
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(10_000);
    expect(resellers.topUps.get(topUp.topUpId)).toMatchObject({ status: 'credited', creditedBy: 'evt_3' });
  });

  it('finishes the crediting event when it is retried after a failure, without a second credit', async () => {
    const { deps, resellers, events, topUpDeps } = world();
    const { topUp } = await requestTopUp(topUpDeps, body, context());
    await registerPaymentEvent(deps, credit('evt_9', topUp.topUpId, 12_200), now);
    // As if the first attempt had stopped before finishing the event's record.
    const record = events.events.get('evt_9');
    if (record) delete record.result;

    const retried = await registerPaymentEvent(deps, credit('evt_9', topUp.topUpId, 12_200), now);
    expect(retried).toMatchObject({ outcome: 'top_up_credited', refundRequired: false });
    expect(resellers.resellers.get(RESELLER)?.balanceCents).toBe(10_000);
  });

  it('replays an Idempotency-Key, refuses it with another body, and refuses a storefront', async () => {
    const { topUpDeps } = world();
    const first = await requestTopUp(topUpDeps, body, context());
    expect(await requestTopUp(topUpDeps, body, context())).toEqual({ topUp: first.topUp, replayed: true });
    await expect(requestTopUp(topUpDeps, { ...body, amountCents: 20_000 }, context())).rejects.toMatchObject({
      code: 'idempotency_key_reused',
    });
    await expect(requestTopUp(topUpDeps, body, context('storefront-1'))).rejects.toBeInstanceOf(ResellerOnlyError);
  });
});

describe('top-ups by card or PayPal, charged at once', () => {
  const cardBody = (paymentMethod: string, method: 'card' | 'paypal' = 'card') =>
    TopUpRequestSchema.parse({ amountCents: 10_000, payment: { method, paymentMethod } });
  const balance = (resellers: InMemoryResellerRepository) => resellers.resellers.get(RESELLER)?.balanceCents;
  const topUpMovements = (resellers: InMemoryResellerRepository) =>
    [...(resellers.ledger.get(RESELLER)?.values() ?? [])].filter((movement) => movement.kind === 'top_up');
  /** Stripe's event about the top-up's PaymentIntent, as the webhook reads it. */
  const stripeEvent = (type: string, topUpId: string, paymentId: string | undefined, amountCents = 12_200) => ({
    type,
    topUpId,
    ...(paymentId ? { paymentId } : {}),
    amountCents,
    currency: 'EUR',
  });

  it.each([
    ['card', 'pm_card_visa'],
    ['paypal', 'pm_paypal'],
  ] as const)('%s: one payment named after the top-up, credited at once, exactly once', async (method, pm) => {
    const { resellers, gateway, topUpDeps } = world();

    const { topUp, replayed } = await requestTopUp(topUpDeps, cardBody(pm, method), context());

    expect(replayed).toBe(false);
    expect(topUp).toMatchObject({
      status: 'credited',
      creditedAt: now.toISOString(),
      totals: { grossCents: 12_200 },
      payment: { method },
    });
    expect(topUp.payment).not.toHaveProperty('credential');
    const [payment, ...others] = [...gateway.payments.values()];
    expect(others).toEqual([]);
    expect(payment?.request).toMatchObject({
      topUpId: topUp.topUpId,
      idempotencyKey: `topup-${topUp.topUpId}`,
      amountCents: 12_200,
      currency: 'EUR',
      method,
    });
    expect(payment?.request).not.toHaveProperty('orderId');
    expect(balance(resellers)).toBe(10_000);
    expect(topUpMovements(resellers)).toEqual([expect.objectContaining({ movementId: `top_up#${topUp.topUpId}` })]);

    // A replay answers the credited top-up and asks the provider for nothing more.
    const calls = gateway.calls.length;
    expect(await requestTopUp(topUpDeps, cardBody(pm, method), context())).toEqual({ topUp, replayed: true });
    expect(gateway.calls.length).toBe(calls);
    // Stripe's payment_intent.succeeded for it is no second credit, and no anomaly.
    const succeeded = stripeEvent('payment_intent.succeeded', topUp.topUpId, [...gateway.payments.keys()][0]);
    expect(await topUpStripeEvent(resellers, succeeded, now)).toEqual({ outcome: 'top_up_credited', anomaly: false });
    expect(balance(resellers)).toBe(10_000);
  });

  it('a declined card is a 402 naming payment, credits nothing, and is the same 402 when replayed', async () => {
    const { resellers, gateway, topUpDeps } = world();

    const error = await requestTopUp(topUpDeps, cardBody('pm_card_chargeDeclined'), context()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PaymentDeclinedError);
    expect(error).toMatchObject({ code: 'payment_declined', errors: [{ path: 'payment' }] });
    expect(problemFor(error)).toMatchObject({ status: 402, code: 'payment_declined', errors: [{ path: 'payment' }] });
    expect(balance(resellers)).toBe(0);
    expect(topUpMovements(resellers)).toEqual([]);
    expect([...resellers.topUps.values()]).toEqual([expect.objectContaining({ status: 'declined' })]);

    const confirmations = gateway.calls.filter((call) => call === 'confirmPayment').length;
    await expect(requestTopUp(topUpDeps, cardBody('pm_card_chargeDeclined'), context())).rejects.toBeInstanceOf(
      PaymentDeclinedError,
    );
    expect(gateway.calls.filter((call) => call === 'confirmPayment')).toHaveLength(confirmations);
  });

  it('3-D Secure: pending with the next action, then credited once by the webhook, however often it comes', async () => {
    const { resellers, gateway, topUpDeps } = world();

    const { topUp } = await requestTopUp(topUpDeps, cardBody('pm_card_authenticationRequired'), context());

    expect(topUp).toMatchObject({
      status: 'pending',
      creditedAt: null,
      payment: { method: 'card', nextAction: { type: 'use_stripe_sdk', clientSecret: expect.any(String) } },
    });
    expect(balance(resellers)).toBe(0);
    const paymentId = resellers.topUps.get(topUp.topUpId)?.providerPaymentId;
    expect(paymentId).toBeDefined();

    gateway.authenticate(paymentId as string);
    const succeeded = stripeEvent('payment_intent.succeeded', topUp.topUpId, paymentId);
    const results = await Promise.all([
      topUpStripeEvent(resellers, succeeded, now),
      topUpStripeEvent(resellers, succeeded, now),
    ]);
    expect(results).toEqual([
      { outcome: 'top_up_credited', anomaly: false },
      { outcome: 'top_up_credited', anomaly: false },
    ]);
    expect(balance(resellers)).toBe(10_000);
    expect(topUpMovements(resellers)).toHaveLength(1);
    // The request replayed now answers the credited top-up, without its next action.
    const replay = await requestTopUp(topUpDeps, cardBody('pm_card_authenticationRequired'), context());
    expect(replay.topUp).toMatchObject({ status: 'credited', payment: { method: 'card' } });
    expect(replay.topUp.payment).not.toHaveProperty('nextAction');
    expect(balance(resellers)).toBe(10_000);
  });

  it('3-D Secure completed before the webhook: the replayed request asks the provider and credits it once', async () => {
    const { resellers, gateway, topUpDeps } = world();
    const { topUp } = await requestTopUp(topUpDeps, cardBody('pm_card_authenticationRequired'), context());
    const paymentId = resellers.topUps.get(topUp.topUpId)?.providerPaymentId as string;
    gateway.authenticate(paymentId);

    const replay = await requestTopUp(topUpDeps, cardBody('pm_card_authenticationRequired'), context());
    const late = await topUpStripeEvent(
      resellers,
      stripeEvent('payment_intent.succeeded', topUp.topUpId, paymentId),
      now,
    );

    expect(replay.topUp).toMatchObject({ status: 'credited' });
    expect(late).toEqual({ outcome: 'top_up_credited', anomaly: false });
    expect(balance(resellers)).toBe(10_000);
    expect(gateway.payments.get(paymentId)?.confirmations).toBe(1);
  });

  it('3-D Secure abandoned: declined by the webhook, and money taken afterwards is an anomaly to refund', async () => {
    const { resellers, topUpDeps } = world();
    const { topUp } = await requestTopUp(topUpDeps, cardBody('pm_card_authenticationRequired'), context());
    const paymentId = resellers.topUps.get(topUp.topUpId)?.providerPaymentId;

    const failed = await topUpStripeEvent(
      resellers,
      stripeEvent('payment_intent.payment_failed', topUp.topUpId, paymentId),
      now,
    );
    const late = await topUpStripeEvent(
      resellers,
      stripeEvent('payment_intent.succeeded', topUp.topUpId, paymentId),
      now,
    );

    expect(failed).toEqual({ outcome: 'top_up_declined', anomaly: false });
    expect(late).toMatchObject({
      outcome: 'succeeded_for_declined_top_up',
      anomaly: true,
      refund: { amountCents: 12_200 },
    });
    expect(balance(resellers)).toBe(0);
    await expect(requestTopUp(topUpDeps, cardBody('pm_card_authenticationRequired'), context())).rejects.toMatchObject({
      code: 'payment_declined',
    });
  });

  it.each([
    ['an unknown top-up', 'NOSUCHTOPUP0', 'pi_other', 12_200, 'unknown_top_up'],
    ['another PaymentIntent than the top-up’s', undefined, 'pi_other', 12_200, 'not_the_top_up_payment'],
    ['another amount', undefined, undefined, 100, 'amount_mismatch'],
  ])(
    'a payment_intent.succeeded for %s credits nothing and is money to give back',
    async (_label, id, pi, amount, outcome) => {
      const { resellers, topUpDeps } = world();
      const { topUp } = await requestTopUp(topUpDeps, cardBody('pm_card_authenticationRequired'), context());
      const paymentId = pi ?? resellers.topUps.get(topUp.topUpId)?.providerPaymentId;

      const result = await topUpStripeEvent(
        resellers,
        stripeEvent('payment_intent.succeeded', id ?? topUp.topUpId, paymentId, amount),
        now,
      );

      expect(result).toMatchObject({ outcome, anomaly: true, refund: { status: 'required', amountCents: amount } });
      expect(balance(resellers)).toBe(0);
    },
  );

  it('the provider unreachable is a 503 to retry; the retry with the same key charges once', async () => {
    const { resellers, gateway, topUpDeps } = world();
    vi.spyOn(gateway, 'confirmPayment').mockRejectedValueOnce(new PaymentGatewayUnavailableError('Stripe is down'));

    const error = await requestTopUp(topUpDeps, cardBody('pm_card_visa'), context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(problemFor(error)).toMatchObject({ status: 503, code: 'retry_later' });
    expect(balance(resellers)).toBe(0);

    const retried = await requestTopUp(topUpDeps, cardBody('pm_card_visa'), context());
    expect(retried.topUp).toMatchObject({ status: 'credited' });
    expect(gateway.payments.size).toBe(1);
    expect(balance(resellers)).toBe(10_000);
  });

  it('a bank credit quoting a card top-up is money to give back, never a second credit', async () => {
    const { deps, resellers, topUpDeps } = world();
    const { topUp } = await requestTopUp(topUpDeps, cardBody('pm_card_visa'), context());

    const result = await registerPaymentEvent(deps, credit('evt_card', topUp.topUpId, 12_200), now);

    expect(result).toMatchObject({ outcome: 'credit_for_card_top_up', refundRequired: true });
    expect(balance(resellers)).toBe(10_000);
  });

  it('refuses a card top-up without what Stripe.js collected, naming payment', () => {
    const parsed = TopUpRequestSchema.safeParse({ amountCents: 10_000, payment: { method: 'card' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['payment']);
  });
});
