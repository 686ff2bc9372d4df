import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from '../../../local/aws/http-util.ts';
import { type LocalStripe, startStripeServer } from '../../../local/stripe/server.ts';

/*
 * The Stripe stand-in through the official `stripe` package, as the adapter uses it: the calls it
 * makes answer in Stripe's shapes, idempotency keys behave as Stripe's, test ids behave as in test
 * mode, and the events it sends verify with `stripe.webhooks.constructEvent`.
 */

const SECRET_KEY = 'sk_test_standin';
const WEBHOOK_SECRET = 'whsec_standin_test';
let local: LocalStripe;
let stripe: Stripe;
/** The raw deliveries the webhook endpoint received. */
const deliveries: { body: string; signature: string }[] = [];
let receiver: ReturnType<typeof createServer>;

beforeAll(async () => {
  local = await startStripeServer({
    secretKey: SECRET_KEY,
    webhookSecret: WEBHOOK_SECRET,
    enabledEvents: ['payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled'],
  });
  const url = new URL(local.endpoint);
  stripe = new Stripe(SECRET_KEY, { host: url.hostname, port: url.port, protocol: 'http', maxNetworkRetries: 0 });
  receiver = createServer(async (req, res) => {
    deliveries.push({
      body: (await readBody(req)).toString('utf8'),
      signature: String(req.headers['stripe-signature']),
    });
    res.writeHead(200).end('{}');
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  local.setWebhookUrl(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/stripe`);
});
afterAll(async () => {
  await local?.stop();
  receiver?.close();
});

const create = (orderId: string, types: string[] = ['card'], idempotencyKey = `order-${orderId}`) =>
  stripe.paymentIntents.create(
    { amount: 610, currency: 'eur', allowed_payment_method_types: types, metadata: { orderId } },
    { idempotencyKey },
  );

describe('the Stripe stand-in', () => {
  it('creates a PaymentIntent in Stripe’s shape, waiting for a payment method', async () => {
    const intent = await create('ORDER0000001');
    expect(intent).toMatchObject({
      object: 'payment_intent',
      amount: 610,
      currency: 'eur',
      status: 'requires_payment_method',
      metadata: { orderId: 'ORDER0000001' },
      payment_method_types: ['card'],
      livemode: false,
      last_payment_error: null,
    });
    expect(intent.id).toMatch(/^pi_/);
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_`));
    expect(await stripe.paymentIntents.retrieve(intent.id)).toEqual(intent);
  });

  it('replays an idempotent request with the same parameters and refuses other parameters under its key', async () => {
    const first = await create('ORDER0000002');
    const replay = await create('ORDER0000002');
    expect(replay.id).toBe(first.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    const other = await create('ORDER0000003', ['card'], 'order-ORDER0000002').catch((error: unknown) => error);
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect((other as Stripe.errors.StripeError).message).toContain("other than 'order-ORDER0000002'");
  });

  it.each([
    ['pm_card_visa', { payment_method: 'pm_card_visa' }],
    ['tok_visa', { payment_method_data: { type: 'card', card: { token: 'tok_visa' } } }],
  ])('charges %s: succeeded, with its charge', async (_label, params) => {
    const intent = await create(`ORDER-OK-${_label}`);
    const confirmed = await stripe.paymentIntents.confirm(intent.id, params as Stripe.PaymentIntentConfirmParams);
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 610, next_action: null });
    expect(confirmed.latest_charge).toMatch(/^ch_/);
    expect(confirmed.payment_method).toMatch(/^pm_/);
  });

  it.each([
    ['pm_card_chargeDeclined', { payment_method: 'pm_card_chargeDeclined' }, 'generic_decline'],
    [
      'tok_chargeDeclined',
      { payment_method_data: { type: 'card', card: { token: 'tok_chargeDeclined' } } },
      'generic_decline',
    ],
    [
      'tok_declined_insufficient_funds',
      { payment_method_data: { type: 'card', card: { token: 'tok_declined_insufficient_funds' } } },
      'insufficient_funds',
    ],
  ])('declines %s with a card_error, and the PaymentIntent keeps the error', async (label, params, declineCode) => {
    const intent = await create(`ORDER-NO-${label}`);
    const error = await stripe.paymentIntents
      .confirm(intent.id, params as Stripe.PaymentIntentConfirmParams)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: declineCode });
    expect((error as Stripe.errors.StripeCardError).payment_intent?.status).toBe('requires_payment_method');
    const after = await stripe.paymentIntents.retrieve(intent.id);
    expect(after.status).toBe('requires_payment_method');
    expect(after.last_payment_error).toMatchObject({ type: 'card_error', decline_code: declineCode });
  });

  it('asks for 3-D Secure with pm_card_authenticationRequired, which the holder then completes', async () => {
    const intent = await create('ORDER-3DS');
    const confirmed = await stripe.paymentIntents.confirm(intent.id, {
      payment_method: 'pm_card_authenticationRequired',
      use_stripe_sdk: true,
    });
    expect(confirmed.status).toBe('requires_action');
    expect(confirmed.next_action?.type).toBe('use_stripe_sdk');
    expect(local.authenticate(intent.id, true).status).toBe('succeeded');
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe('succeeded');
  });

  it('refuses unknown payment methods and tokens, and a card on a PayPal PaymentIntent', async () => {
    const intent = await create('ORDER-UNKNOWN', ['paypal']);
    const unknown = await stripe.paymentIntents
      .confirm(intent.id, { payment_method: 'pm_nobody' })
      .catch((thrown: unknown) => thrown);
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(unknown).toMatchObject({ code: 'resource_missing', param: 'payment_method' });
    const card = await stripe.paymentIntents
      .confirm(intent.id, { payment_method: 'pm_card_visa' })
      .catch((thrown: unknown) => thrown);
    expect(card).toMatchObject({ code: 'payment_intent_incompatible_payment_method', param: 'payment_method' });
    const paypal = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_paypal' });
    expect(paypal.status).toBe('requires_action');
    expect(paypal.next_action?.type).toBe('redirect_to_url');
  });

  it('cancels a PaymentIntent waiting for the holder, and refuses to cancel a succeeded one', async () => {
    const waiting = await create('ORDER-CANCEL');
    await stripe.paymentIntents.confirm(waiting.id, { payment_method: 'pm_card_authenticationRequired' });
    const cancelled = await stripe.paymentIntents.cancel(waiting.id, { cancellation_reason: 'abandoned' });
    expect(cancelled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(() => local.authenticate(waiting.id, true)).toThrow(/not waiting/);

    const paid = await create('ORDER-PAID');
    await stripe.paymentIntents.confirm(paid.id, { payment_method: 'pm_card_visa' });
    const refused = await stripe.paymentIntents.cancel(paid.id).catch((thrown: unknown) => thrown);
    expect(refused).toMatchObject({ code: 'payment_intent_unexpected_state', payment_intent: { status: 'succeeded' } });
  });

  it('refunds a succeeded PaymentIntent whole, once per idempotency key, and refuses one that took nothing or was refunded', async () => {
    const paid = await create('ORDER000000R');
    await stripe.paymentIntents.confirm(paid.id, { payment_method: 'pm_card_visa' }, { idempotencyKey: 'c-R' });

    const refund = await stripe.refunds.create({ payment_intent: paid.id }, { idempotencyKey: 'refund-ORDER000000R' });
    const replayed = await stripe.refunds.create(
      { payment_intent: paid.id },
      { idempotencyKey: 'refund-ORDER000000R' },
    );

    expect(refund).toMatchObject({
      object: 'refund',
      amount: 610,
      currency: 'eur',
      payment_intent: paid.id,
      status: 'succeeded',
      charge: expect.stringMatching(/^ch_/),
    });
    expect(replayed.id).toBe(refund.id);
    expect(local.refunds().filter((made) => made.payment_intent === paid.id)).toHaveLength(1);
    await expect(stripe.refunds.create({ payment_intent: paid.id })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'charge_already_refunded',
    });
    const unpaid = await create('ORDER000000S');
    await expect(stripe.refunds.create({ payment_intent: unpaid.id })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'payment_intent',
    });
  });

  it('makes a new PaymentMethod for a test id, as Stripe does: the PaymentIntent names it, not the test id', async () => {
    const intent = await create('ORDER-FRESH-PM');
    const confirmed = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
    expect(confirmed.payment_method).toMatch(/^pm_/);
    expect(confirmed.payment_method).not.toBe('pm_card_visa');
    // Used once without a Customer, it cannot be used again.
    const again = await create('ORDER-FRESH-PM-2');
    const refused = await stripe.paymentIntents
      .confirm(again.id, { payment_method: confirmed.payment_method as string })
      .catch((thrown: unknown) => thrown);
    expect(refused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(refused).toMatchObject({ param: 'payment_method' });
    expect((refused as Stripe.errors.StripeError).message).toContain('attach it to a Customer first');
  });

  it('answers 404 for an unknown PaymentIntent and 401 for a wrong key', async () => {
    await expect(stripe.paymentIntents.retrieve('pi_nothing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
    const url = new URL(local.endpoint);
    const wrong = new Stripe('sk_test_wrong', { host: url.hostname, port: url.port, protocol: 'http' });
    await expect(wrong.paymentIntents.retrieve('pi_nothing')).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
  });

  it('signs its events as Stripe does: constructEvent verifies them, and refuses them under another secret', async () => {
    const intent = await create('ORDER-EVENTS');
    await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
    await local.idle();
    const delivery = deliveries.find((d) => d.body.includes(intent.id) && d.body.includes('payment_intent.succeeded'));
    if (!delivery) throw new Error('no payment_intent.succeeded delivery');
    const event = stripe.webhooks.constructEvent(delivery.body, delivery.signature, WEBHOOK_SECRET);
    expect(event.type).toBe('payment_intent.succeeded');
    expect((event.data.object as Stripe.PaymentIntent).metadata.orderId).toBe('ORDER-EVENTS');
    expect(() => stripe.webhooks.constructEvent(delivery.body, delivery.signature, 'whsec_other')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    const recorded = local.events().find((e) => e.event.id === event.id);
    expect(recorded?.attempts).toEqual([200]);
  });
});

describe('saved payment methods and off-session charges', () => {
  /** The holder's Customer, created once per idempotency key, as the adapter creates it. */
  const customer = (orderId: string) =>
    stripe.customers.create(
      { email: 'mario.rossi@example.com', metadata: { orderId } },
      { idempotencyKey: `order-${orderId}-customer` },
    );

  /** A first payment on session that saves its method on the Customer (`setup_future_usage: off_session`). */
  async function saveWith(orderId: string, paymentMethod: string, customerId: string) {
    const intent = await stripe.paymentIntents.create(
      {
        amount: 610,
        currency: 'eur',
        allowed_payment_method_types: ['card'],
        metadata: { orderId },
        customer: customerId,
        setup_future_usage: 'off_session',
      },
      { idempotencyKey: `order-${orderId}` },
    );
    const confirmed = await stripe.paymentIntents.confirm(intent.id, {
      payment_method: paymentMethod,
      use_stripe_sdk: true,
    });
    if (confirmed.status === 'requires_action') local.authenticate(intent.id, true);
    return stripe.paymentIntents.retrieve(intent.id);
  }

  /** An automatic renewal: a PaymentIntent for the Customer, confirmed off session with the saved method. */
  async function chargeOffSession(orderId: string, customerId: string, paymentMethod: string) {
    const intent = await stripe.paymentIntents.create(
      {
        amount: 610,
        currency: 'eur',
        allowed_payment_method_types: ['card'],
        metadata: { orderId },
        customer: customerId,
      },
      { idempotencyKey: `order-${orderId}` },
    );
    return stripe.paymentIntents.confirm(intent.id, { payment_method: paymentMethod, off_session: true });
  }

  it('creates a Customer in Stripe’s shape, once per idempotency key', async () => {
    const created = await customer('ORDER-CUS-1');
    const replayed = await customer('ORDER-CUS-1');

    expect(created).toMatchObject({
      object: 'customer',
      email: 'mario.rossi@example.com',
      metadata: { orderId: 'ORDER-CUS-1' },
      livemode: false,
      delinquent: false,
      invoice_settings: { default_payment_method: null },
    });
    expect(created.id).toMatch(/^cus_/);
    expect(replayed.id).toBe(created.id);
    expect(local.customers().filter((c) => c.metadata.orderId === 'ORDER-CUS-1')).toHaveLength(1);
  });

  it('refuses a PaymentIntent for a Customer it does not know', async () => {
    await expect(
      stripe.paymentIntents.create({ amount: 610, currency: 'eur', customer: 'cus_nobody' }),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'resource_missing', param: 'customer' });
  });

  it.each([
    ['pm_card_visa (no authentication)', 'pm_card_visa'],
    ['pm_card_authenticationRequiredOnSetup (authenticated once, on session)', 'pm_card_authenticationRequiredOnSetup'],
  ])('%s: saved by the first payment, then charged off session without the holder', async (_label, test) => {
    const orderId = `ORDER-SAVE-${test}`;
    const { id: customerId } = await customer(orderId);
    const first = await saveWith(orderId, test, customerId);
    expect(first).toMatchObject({ status: 'succeeded', customer: customerId, setup_future_usage: 'off_session' });
    const saved = first.payment_method as string;

    const renewal = await chargeOffSession(`${orderId}-R`, customerId, saved);

    expect(renewal).toMatchObject({
      status: 'succeeded',
      customer: customerId,
      payment_method: saved,
      amount_received: 610,
      setup_future_usage: null,
    });
  });

  it('pm_card_authenticationRequired always needs authentication: off session it is a card_error authentication_required', async () => {
    const orderId = 'ORDER-ALWAYS-3DS';
    const { id: customerId } = await customer(orderId);
    const first = await saveWith(orderId, 'pm_card_authenticationRequired', customerId);
    expect(first.status).toBe('succeeded');

    const error = await chargeOffSession(`${orderId}-R`, customerId, first.payment_method as string).catch(
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({
      statusCode: 402,
      code: 'authentication_required',
      decline_code: 'authentication_required',
    });
    const intent = (error as Stripe.errors.StripeCardError).payment_intent;
    expect(intent).toMatchObject({ status: 'requires_payment_method', next_action: null });
    expect(intent?.last_payment_error).toMatchObject({ type: 'card_error', code: 'authentication_required' });
    await local.idle();
    expect(
      local
        .events()
        .filter(({ event }) => (event.data.object as Stripe.PaymentIntent).id === intent?.id)
        .map(({ event }) => event.type),
    ).toEqual(['payment_intent.payment_failed']);
  });

  it('a method never set up (an on-session payment without setup_future_usage) needs authentication off session', async () => {
    const orderId = 'ORDER-NOT-SET-UP';
    const { id: customerId } = await customer(orderId);

    const error = await chargeOffSession(orderId, customerId, 'pm_card_authenticationRequiredOnSetup').catch(
      (thrown: unknown) => thrown,
    );

    expect(error).toMatchObject({ type: 'StripeCardError', code: 'authentication_required' });
  });
});
