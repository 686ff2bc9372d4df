import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { LOCAL_STRIPE_WEBHOOK_SECRET } from '../support/webhooks.ts';

/*
 * A reseller's top-ups by card and PayPal over HTTP, through the deployable bundles, the real Stripe
 * adapter and the Stripe stand-in: charged at once and credited once; a declined card credits
 * nothing; 3-D Secure and PayPal's approval leave the top-up pending until Stripe's webhook
 * credits it, once however often the event is delivered.
 */

/** A reseller of its own, so its balance is known exactly (it starts with 20,000 cents). */
const CARDS_RESELLER = 'rk_local_cards';
const local = withLocalRuntime({ resellerApiKeys: ['rk_local_reseller', CARDS_RESELLER] });
const reseller = () => new ApiClient(local.runtime.url, CARDS_RESELLER);

interface Credit {
  balanceCents: number;
  movements: { movementId: string; kind: string; amountCents: number; topUpId?: string }[];
}
const creditOf = async () => {
  const response = await reseller().get('/reseller/credit?limit=100');
  expect(response.status).toBe(200);
  return response.json as Credit;
};
const topUpMovements = (credit: Credit, topUpId: string) =>
  credit.movements.filter((movement) => movement.movementId === `top_up#${topUpId}`);

let keys = 0;
const topUp = (payment: Record<string, unknown>, idempotencyKey = `card-top-up-${process.pid}-${keys++}`) =>
  reseller().post(
    '/reseller/credit/top-ups',
    { amountCents: 10_000, payment },
    { headers: { 'Idempotency-Key': idempotencyKey } },
  );

/** The PaymentIntents Stripe holds for a top-up. */
const intentsOf = (topUpId: string) =>
  local.runtime.stripe.paymentIntents().filter((intent) => intent.metadata.topUpId === topUpId);

/** The Stripe events about a top-up's PaymentIntent, once every delivery has been answered. */
async function eventsOf(topUpId: string) {
  await local.runtime.stripe.idle();
  return local.runtime.stripe
    .events()
    .filter(({ event }) => (event.data.object as Stripe.PaymentIntent).metadata?.topUpId === topUpId);
}

/** What the Stripe webhook recorded for an event (its audit entry, under the top-up's id). */
const audited = (topUpId: string, eventId: string) =>
  JSON.parse(local.runtime.auditObjects().get(`orders/${topUpId}/stripe-event/${eventId}.json`) ?? '{}');

/** The holder's part of 3-D Secure or PayPal's approval, as Stripe.js would do it; then its webhook. */
async function approve(topUpId: string) {
  const authenticated = await local.api.request('POST', `/_local/payments/${topUpId}/authenticate`, {
    body: { approve: true },
    apiKey: null,
  });
  expect(authenticated.status).toBe(200);
  expect(authenticated.json).toMatchObject({ status: 'succeeded' });
  await local.runtime.stripe.idle();
}

describe('top-ups by card and PayPal', () => {
  it('pm_card_visa: charged at once through one PaymentIntent naming the top-up, credited once', async () => {
    const before = (await creditOf()).balanceCents;

    const created = await topUp({ method: 'card', paymentMethod: 'pm_card_visa' });

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      amountCents: 10_000,
      totals: { netCents: 10_000, vatCents: 2200, grossCents: 12_200 },
      payment: { method: 'card' },
      status: 'credited',
      creditedAt: expect.any(String),
    });
    const { topUpId } = created.json;
    const [intent, ...others] = intentsOf(topUpId);
    expect(others).toEqual([]);
    expect(intent).toMatchObject({
      amount: 12_200,
      amount_received: 12_200,
      currency: 'eur',
      status: 'succeeded',
      metadata: { topUpId },
      allowed_payment_method_types: ['card'],
    });
    expect(intent?.metadata).not.toHaveProperty('orderId');
    // Stripe's payment_intent.succeeded reached the webhook: the top-up's, credited already, no anomaly.
    const events = await eventsOf(topUpId);
    expect(events.map(({ event, attempts }) => [event.type, attempts.at(-1)])).toEqual([
      ['payment_intent.succeeded', 200],
    ]);
    expect(audited(topUpId, events[0]?.event.id ?? '')).toMatchObject({
      detail: { outcome: 'top_up_credited', anomaly: false },
    });
    const credit = await creditOf();
    expect(credit.balanceCents).toBe(before + 10_000);
    expect(topUpMovements(credit, topUpId)).toEqual([
      expect.objectContaining({ kind: 'top_up', amountCents: 10_000, topUpId }),
    ]);
  });

  it('PayPal: pending with the approval to give, credited once by Stripe’s webhook when the reseller approves', async () => {
    const before = (await creditOf()).balanceCents;

    const created = await topUp({ method: 'paypal', paymentMethod: 'pm_paypal' });

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      payment: { method: 'paypal', nextAction: { type: 'use_stripe_sdk', clientSecret: expect.any(String) } },
      status: 'pending',
      creditedAt: null,
    });
    const { topUpId } = created.json;
    expect(intentsOf(topUpId)).toEqual([
      expect.objectContaining({ status: 'requires_action', allowed_payment_method_types: ['paypal'] }),
    ]);
    expect((await creditOf()).balanceCents).toBe(before);

    await approve(topUpId);

    const credit = await creditOf();
    expect(credit.balanceCents).toBe(before + 10_000);
    expect(topUpMovements(credit, topUpId)).toHaveLength(1);
  });

  it('a declined card is a 402 problem naming payment, and nothing is credited, also when the request is replayed', async () => {
    const before = await creditOf();
    const key = `declined-${process.pid}-${Date.now()}`;

    const declined = await topUp({ method: 'card', paymentMethod: 'pm_card_chargeDeclined' }, key);

    expect(declined.status).toBe(402);
    expect(declined.headers.get('content-type')).toBe('application/problem+json');
    expect(declined.json).toMatchObject({
      status: 402,
      code: 'payment_declined',
      errors: [{ path: 'payment', message: expect.stringContaining('generic_decline') }],
    });
    const replayed = await topUp({ method: 'card', paymentMethod: 'pm_card_chargeDeclined' }, key);
    expect(replayed.status).toBe(402);
    const after = await creditOf();
    expect(after.balanceCents).toBe(before.balanceCents);
    expect(after.movements.filter((m) => m.kind === 'top_up')).toEqual(
      before.movements.filter((m) => m.kind === 'top_up'),
    );
  });

  it('3-D Secure: pending with its next action, credited once by the webhook however often the event is delivered', async () => {
    const before = (await creditOf()).balanceCents;
    const key = `three-ds-${process.pid}-${Date.now()}`;

    const created = await topUp({ method: 'card', paymentMethod: 'pm_card_authenticationRequired' }, key);

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: 'pending', payment: { nextAction: { type: 'use_stripe_sdk' } } });
    const { topUpId } = created.json;
    expect((await creditOf()).balanceCents).toBe(before);

    await approve(topUpId);

    expect((await creditOf()).balanceCents).toBe(before + 10_000);
    const [delivered, ...others] = await eventsOf(topUpId);
    expect(others).toEqual([]);
    if (!delivered) throw new Error('no Stripe event for the top-up');
    expect(audited(topUpId, delivered.event.id)).toMatchObject({ detail: { outcome: 'top_up_credited' } });

    // Stripe delivers the same event again, twice at once: recorded once, credited once.
    const rawBody = JSON.stringify(delivered.event);
    const redeliver = () =>
      local.api.request('POST', '/webhooks/stripe', {
        rawBody,
        apiKey: null,
        headers: {
          'content-type': 'application/json',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({
            payload: rawBody,
            secret: LOCAL_STRIPE_WEBHOOK_SECRET,
          }),
        },
      });
    const again = await Promise.all([redeliver(), redeliver()]);
    expect(again.map((response) => [response.status, response.json.duplicate])).toEqual([
      [200, true],
      [200, true],
    ]);
    // The request replayed answers the credited top-up, without a next action or a second charge.
    const replay = await topUp({ method: 'card', paymentMethod: 'pm_card_authenticationRequired' }, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.json).toMatchObject({ topUpId, status: 'credited' });
    expect(replay.json.payment).not.toHaveProperty('nextAction');
    expect(intentsOf(topUpId)).toHaveLength(1);
    const credit = await creditOf();
    expect(credit.balanceCents).toBe(before + 10_000);
    expect(topUpMovements(credit, topUpId)).toHaveLength(1);
  });

  it('refuses a card top-up without what Stripe.js collected, naming payment', async () => {
    const refused = await topUp({ method: 'card' });
    expect(refused.status).toBe(400);
    expect(refused.json.errors).toEqual([{ path: 'payment', message: expect.any(String) }]);
  });
});
