import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { stripeEventVerifier } from '../../../functions/adapters/stripe-webhook-events.ts';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Order } from '../../../functions/domain/order.ts';
import { pendingCardTopUp } from '../../../functions/domain/reseller-credit.ts';
import { handleStripeEvent } from '../../../functions/use-cases/handle-stripe-event.ts';
import {
  InMemoryMailboxRepository,
  InMemoryOrderRepository,
  InMemoryPaymentEventRepository,
  InMemoryResellerRepository,
  RecordingAuditLog,
  RecordingCallbacks,
} from '../../support/fakes.ts';
import { storedOrder } from '../../support/fixtures.ts';
import { paymentIntent, publishedCharge, publishedEvent } from '../../support/stripe/fixtures.ts';

/*
 * The Stripe webhook's use case with its real verifier (Stripe's `constructEvent`) and in-memory
 * ports: deliveries signed with Stripe's own test helper (`generateTestHeaderString`), events built
 * from Stripe's published example event and objects.
 */

const SECRET = 'whsec_unit_stripe';
const now = new Date();

let counter = 0;
/** A Stripe event about `object`, signed as Stripe signs it (or with another secret). */
function delivery(type: string, object: unknown, options: { secret?: string; timestamp?: number; id?: string } = {}) {
  const event = { ...publishedEvent(), id: options.id ?? `evt_unit_${counter++}`, type, data: { object } };
  const rawBody = JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload: rawBody,
    secret: options.secret ?? SECRET,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
  return { rawBody, signature };
}

function world(changes: Partial<Order> = {}) {
  const order = storedOrder(
    {
      payment: { method: 'card', status: 'pending', reference: 'RF00', paymentMethod: 'pm_card_visa' },
      providerPaymentId: paymentIntent().id,
      ...changes,
    },
    now,
  );
  const orders = new InMemoryOrderRepository().seed(order);
  const deps = {
    orders,
    events: new InMemoryPaymentEventRepository(),
    topUps: new InMemoryResellerRepository(orders, new InMemoryMailboxRepository()),
    callbacks: new RecordingCallbacks(),
    audit: new RecordingAuditLog(),
    verify: stripeEventVerifier({ STRIPE_WEBHOOK_SECRET: SECRET }),
  };
  return { order, deps };
}

const intentOf = (order: Order, changes: Parameters<typeof paymentIntent>[0] = {}) =>
  paymentIntent({ metadata: { orderId: order.orderId }, ...changes });

describe('handleStripeEvent', () => {
  it.each([
    ['a signature made with another secret', { secret: 'whsec_other' }],
    ['a stale signature', { timestamp: Math.floor(now.getTime() / 1000) - 3600 }],
  ])('refuses %s, naming Stripe-Signature, and records nothing', async (_label, options) => {
    const { order, deps } = world();
    const forged = delivery('payment_intent.succeeded', intentOf(order, { status: 'succeeded' }), options);

    const error = await handleStripeEvent(deps, forged, now).catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({ name: ErrorName.ValidationError, errors: [{ path: 'Stripe-Signature' }] });
    expect(deps.events.events.size).toBe(0);
  });

  it('refuses a delivery without a signature, and a signed body that is not JSON', async () => {
    const { deps } = world();
    await expect(handleStripeEvent(deps, { rawBody: '{}', signature: undefined }, now)).rejects.toMatchObject({
      errors: [{ path: 'Stripe-Signature' }],
    });
    const rawBody = 'not json';
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: rawBody, secret: SECRET });
    await expect(handleStripeEvent(deps, { rawBody, signature }, now)).rejects.toMatchObject({
      errors: [{ path: '(body)' }],
    });
  });

  it('refuses a signed event whose id or time is not Stripe’s, naming the field, and records nothing', async () => {
    const { order, deps } = world();
    const longId = delivery('payment_intent.succeeded', intentOf(order), { id: `evt_${'x'.repeat(3000)}` });
    await expect(handleStripeEvent(deps, longId, now)).rejects.toMatchObject({ errors: [{ path: 'id' }] });
    const event = { ...publishedEvent(), created: 1e15, data: { object: intentOf(order) } };
    const rawBody = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: rawBody, secret: SECRET });
    await expect(handleStripeEvent(deps, { rawBody, signature }, now)).rejects.toMatchObject({
      errors: [{ path: 'created' }],
    });
    expect(deps.events.events.size).toBe(0);
  });

  it('records payment_intent.succeeded for an order paid with it, once however often it is delivered', async () => {
    const { order, deps } = world({ status: 'activating', chargeId: paymentIntent().id });
    const succeeded = delivery('payment_intent.succeeded', intentOf(order, { status: 'succeeded' }));

    expect(await handleStripeEvent(deps, succeeded, now)).toMatchObject({ outcome: 'paid', duplicate: false });
    expect(await handleStripeEvent(deps, succeeded, now)).toMatchObject({ outcome: 'duplicate', duplicate: true });

    const [recorded] = [...deps.events.events.values()];
    expect(recorded?.event).toMatchObject({
      type: 'payment_intent.succeeded',
      orderId: order.orderId,
      amountCents: 610,
      currency: 'EUR',
    });
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['stripe-event']);
  });

  it('leaves an order whose workflow is not waiting for the holder alone: the charge step (or the wait) asks Stripe', async () => {
    const { order, deps } = world();
    const succeeded = delivery('payment_intent.succeeded', intentOf(order, { status: 'succeeded' }));
    const failed = delivery('payment_intent.payment_failed', intentOf(order));

    expect(await handleStripeEvent(deps, succeeded, now)).toMatchObject({ outcome: 'awaiting_charge_step' });
    expect(await handleStripeEvent(deps, failed, now)).toMatchObject({ outcome: 'payment_failed_recorded' });
    expect((await deps.orders.get(order.orderId))?.payment.status).toBe('pending');
    expect(deps.callbacks.calls).toEqual([]);
  });

  it('3-D Secure completed: payment_intent.succeeded resumes the wait for the holder, once however often it is delivered', async () => {
    const { order, deps } = world();
    await deps.orders.saveTaskToken(order.orderId, 'token-3ds');
    const succeeded = delivery('payment_intent.succeeded', intentOf(order, { status: 'succeeded' }));

    expect(await handleStripeEvent(deps, succeeded, now)).toMatchObject({ outcome: 'authenticated' });
    expect(await handleStripeEvent(deps, succeeded, now)).toMatchObject({ outcome: 'duplicate', duplicate: true });

    expect(deps.callbacks.calls).toEqual([
      { token: 'token-3ds', outcome: 'succeed', detail: { stripeEventId: expect.stringMatching(/^evt_/) } },
    ]);
    // The charge is recorded by ChargePayment, which the resumed workflow runs again and which asks Stripe.
    expect((await deps.orders.get(order.orderId))?.payment.status).toBe('pending');
  });

  it('3-D Secure abandoned: payment_intent.payment_failed fails the wait with PaymentFailed', async () => {
    const { order, deps } = world();
    await deps.orders.saveTaskToken(order.orderId, 'token-3ds');
    const failed = delivery('payment_intent.payment_failed', intentOf(order));

    expect(await handleStripeEvent(deps, failed, now)).toMatchObject({ outcome: 'payment_failed' });

    expect(deps.callbacks.calls).toEqual([
      { token: 'token-3ds', outcome: 'fail', detail: { error: ErrorName.PaymentFailed, cause: expect.any(String) } },
    ]);
  });

  it('whichever of succeeded and payment_failed comes second finds the wait over: the first word stands', async () => {
    const { order, deps } = world();
    await deps.orders.saveTaskToken(order.orderId, 'token-3ds');
    const failed = delivery('payment_intent.payment_failed', intentOf(order));
    const succeeded = delivery('payment_intent.succeeded', intentOf(order, { status: 'succeeded' }));

    expect(await handleStripeEvent(deps, failed, now)).toMatchObject({ outcome: 'payment_failed' });
    expect(await handleStripeEvent(deps, succeeded, now)).toMatchObject({ outcome: 'wait_already_closed' });
    expect(deps.callbacks.calls.map((call) => call.outcome)).toEqual(['fail', 'succeed']);
  });

  it('a success after the wait ended with the order cancelled is an anomaly to refund, and resumes nothing', async () => {
    const { order, deps } = world({ status: 'cancelled', failureReason: 'States.Timeout' });
    await deps.orders.saveTaskToken(order.orderId, 'token-3ds');
    const succeeded = delivery('payment_intent.succeeded', intentOf(order, { status: 'succeeded' }));

    expect(await handleStripeEvent(deps, succeeded, now)).toMatchObject({ outcome: 'succeeded_for_closed_order' });
    expect([...deps.events.events.values()][0]?.result).toMatchObject({
      anomaly: true,
      refund: { status: 'required' },
    });
    expect(deps.callbacks.calls).toEqual([]);
  });

  it('money taken for a closed order its closing did not see is an anomaly to refund', async () => {
    const { order, deps } = world({ status: 'failed' });
    const succeeded = delivery('payment_intent.succeeded', intentOf(order, { status: 'succeeded' }));

    expect(await handleStripeEvent(deps, succeeded, now)).toMatchObject({ outcome: 'succeeded_for_closed_order' });
    expect([...deps.events.events.values()][0]?.result).toEqual({
      outcome: 'succeeded_for_closed_order',
      anomaly: true,
      refund: { status: 'required', amountCents: 610, currency: 'EUR' },
    });
  });

  it.each([
    ['an unknown order', { metadata: { orderId: 'NOSUCHORDER0' } }, 'unknown_order', true],
    ['another PaymentIntent than the order’s', { id: 'pi_someone_else' }, 'not_the_order_payment', true],
    ['a PaymentIntent without an order', { metadata: {} }, 'not_an_order_payment', false],
    ['a PaymentIntent naming no order id of ours', { metadata: { orderId: '\ud800' } }, 'not_an_order_payment', false],
  ])('records payment_intent.succeeded for %s', async (_label, changes, outcome, anomaly) => {
    const { order, deps } = world();
    const event = delivery('payment_intent.succeeded', intentOf(order, { status: 'succeeded', ...changes }));

    expect(await handleStripeEvent(deps, event, now)).toMatchObject({ outcome });
    expect([...deps.events.events.values()][0]?.result).toMatchObject({ outcome, anomaly });
  });

  it('credits the reseller top-up its PaymentIntent names (metadata.topUpId) once, never as money for an order', async () => {
    const { deps } = world();
    deps.topUps.resellers.set('reseller-1', {
      resellerId: 'reseller-1',
      name: 'R',
      email: 'r@example.com',
      priceList: 'reseller',
      balanceCents: 0,
      lowBalanceThresholdCents: 0,
      createdAt: now.toISOString(),
    });
    const topUp = pendingCardTopUp({
      topUpId: 'TOPUP0000001',
      resellerId: 'reseller-1',
      amountCents: 500,
      method: 'card',
      credential: { paymentMethod: 'pm_card_authenticationRequired' },
      requestHash: 'h',
      now,
    });
    await deps.topUps.createTopUp({ ...topUp, providerPaymentId: paymentIntent().id });
    const succeeded = delivery(
      'payment_intent.succeeded',
      paymentIntent({ status: 'succeeded', amount: 610, metadata: { topUpId: topUp.topUpId } }),
    );

    expect(await handleStripeEvent(deps, succeeded, now)).toMatchObject({
      outcome: 'top_up_credited',
      duplicate: false,
    });
    expect(await handleStripeEvent(deps, succeeded, now)).toMatchObject({ outcome: 'duplicate', duplicate: true });
    expect(deps.topUps.resellers.get('reseller-1')?.balanceCents).toBe(500);
    const [recorded] = [...deps.events.events.values()];
    expect(recorded?.event.orderId).toBe(topUp.topUpId);
    expect(recorded?.result).toEqual({ outcome: 'top_up_credited', anomaly: false });
  });

  it('charge.refunded of the order’s recorded refund marks it refunded, once; a partial one is an anomaly', async () => {
    const refund = {
      status: 'required' as const,
      chargeId: paymentIntent().id,
      amountCents: 610,
      currency: 'EUR' as const,
      reason: 'order failed: ProvisioningImpossibleError',
      recordedAt: now.toISOString(),
    };
    const charge = (amountRefunded: number) => ({
      ...publishedCharge(),
      payment_intent: paymentIntent().id,
      amount_refunded: amountRefunded,
      currency: 'eur',
      metadata: { orderId: order.orderId },
    });
    const { order, deps } = world({
      status: 'failed',
      payment: { method: 'card', status: 'refund_required', reference: 'RF00' },
      refund,
    });

    expect(await handleStripeEvent(deps, delivery('charge.refunded', charge(300)), now)).toMatchObject({
      outcome: 'partly_refunded',
    });
    expect((await deps.orders.get(order.orderId))?.payment.status).toBe('refund_required');
    const whole = delivery('charge.refunded', charge(610));
    expect(await handleStripeEvent(deps, whole, now)).toMatchObject({ outcome: 'refunded' });
    expect(await handleStripeEvent(deps, whole, now)).toMatchObject({ outcome: 'duplicate' });
    expect(await deps.orders.get(order.orderId)).toMatchObject({
      payment: { status: 'refunded' },
      refund: { status: 'refunded', chargeId: paymentIntent().id },
    });
  });

  it('records payment_intent.payment_failed and charge.refunded, and ignores other events', async () => {
    const { order, deps } = world();
    const failed = delivery('payment_intent.payment_failed', intentOf(order));
    const refunded = delivery('charge.refunded', {
      ...publishedCharge(),
      payment_intent: paymentIntent().id,
      amount_refunded: 610,
      currency: 'eur',
      metadata: { orderId: order.orderId },
    });
    const other = delivery('plan.created', publishedEvent().data.object);

    expect(await handleStripeEvent(deps, failed, now)).toMatchObject({ outcome: 'payment_failed_recorded' });
    expect(await handleStripeEvent(deps, refunded, now)).toMatchObject({ outcome: 'refund_reported' });
    expect(await handleStripeEvent(deps, other, now)).toMatchObject({ outcome: 'ignored' });
    const refundEvent = [...deps.events.events.values()].find((e) => e.event.type === 'charge.refunded');
    expect(refundEvent?.event).toMatchObject({ orderId: order.orderId, amountCents: 610, currency: 'EUR' });
  });
});
