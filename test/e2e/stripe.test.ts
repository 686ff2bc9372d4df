import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { freshAddress, orderBody, validHolder } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { LOCAL_STRIPE_WEBHOOK_SECRET } from '../support/webhooks.ts';

/*
 * Card and PayPal orders through the deployable bundles, the real Stripe adapter and the Stripe
 * stand-in: what Stripe ends up holding for each order (one PaymentIntent, named after it), and
 * what its webhook deliveries do.
 */

const local = withLocalRuntime();

/** The PaymentIntents Stripe holds for an order. */
const intentsOf = (orderId: string) =>
  local.runtime.stripe.paymentIntents().filter((intent) => intent.metadata.orderId === orderId);

/** The Stripe events about an order's PaymentIntent, once every delivery has been answered. */
async function eventsOf(orderId: string) {
  await local.runtime.stripe.idle();
  return local.runtime.stripe
    .events()
    .filter(({ event }) => (event.data.object as Stripe.PaymentIntent).metadata?.orderId === orderId);
}

/** The order's workflow once it has ended (a closed order shows its status as its closing step begins). */
async function executionEnd(orderId: string) {
  for (let polls = 0; polls < 200; polls++) {
    const execution = local.runtime.stepFunctions.executions().find((e) => e.name === orderId);
    if (execution && execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

async function placeOrder(payment: Record<string, unknown>) {
  const created = await local.api.post('/orders', orderBody({ address: freshAddress(), payment }));
  expect(created.status).toBe(201);
  return created.json as { orderId: string; totals: { grossCents: number } };
}

describe('card orders through Stripe', () => {
  it('pm_card_visa: one PaymentIntent for the order, in euro, succeeded; the order completes', async () => {
    const { orderId, totals } = await placeOrder({ method: 'card', paymentMethod: 'pm_card_visa' });

    const order = await local.api.waitForOrder(orderId, (o) => o.status === 'completed');

    expect(order.payment.status).toBe('paid');
    const [intent, ...others] = intentsOf(orderId);
    expect(others).toEqual([]);
    expect(intent).toMatchObject({
      amount: totals.grossCents,
      amount_received: totals.grossCents,
      currency: 'eur',
      status: 'succeeded',
      // A new PaymentMethod made from the test id, saved on the holder's Customer for renewals.
      payment_method: expect.stringMatching(/^pm_/),
      customer: expect.stringMatching(/^cus_/),
      setup_future_usage: 'off_session',
      allowed_payment_method_types: ['card'],
    });
    // The charge is audited under the PaymentIntent, the id a refund will name.
    const audit = local.runtime.auditObjects().get(`orders/${orderId}/payment-charged.json`);
    expect(JSON.parse(audit ?? '{}')).toMatchObject({ detail: { chargeId: intent?.id } });
    // Stripe's payment_intent.succeeded reached the webhook, verified, and was recorded.
    const events = await eventsOf(orderId);
    expect(events.map(({ event, attempts }) => [event.type, attempts.at(-1)])).toEqual([
      ['payment_intent.succeeded', 200],
    ]);
    const recorded = local.runtime.auditObjects().get(`orders/${orderId}/stripe-event/${events[0]?.event.id}.json`);
    expect(recorded).toBeDefined();
  });

  it.each([
    ['pm_card_chargeDeclined', { paymentMethod: 'pm_card_chargeDeclined' }, 'generic_decline'],
    ['tok_chargeDeclined', { token: 'tok_chargeDeclined' }, 'generic_decline'],
  ])('%s: declined by Stripe, the order fails and nothing is taken', async (_label, credential, declineCode) => {
    const { orderId } = await placeOrder({ method: 'card', ...credential });

    const order = await local.api.waitForOrder(orderId, (o) => o.status === 'failed');

    expect(order.payment.status).toBe('failed');
    const [intent] = intentsOf(orderId);
    expect(intent).toMatchObject({ status: 'requires_payment_method', amount_received: 0 });
    expect(intent?.last_payment_error).toMatchObject({ code: 'card_declined', decline_code: declineCode });
    const events = await eventsOf(orderId);
    expect(events.map(({ event, attempts }) => [event.type, attempts.at(-1)])).toEqual([
      ['payment_intent.payment_failed', 200],
    ]);
  });
});

describe('3-D Secure and PayPal’s approval: the order waits for the holder', () => {
  const WAITING = [
    ['a card that needs 3-D Secure', { method: 'card', paymentMethod: 'pm_card_authenticationRequired' }],
    ['PayPal, which needs the holder’s approval', { method: 'paypal', paymentMethod: 'pm_paypal' }],
  ] as const;

  /** Places the order and waits until it shows that the holder must act. */
  async function waitingOrder(payment: Record<string, unknown>) {
    const { orderId } = await placeOrder(payment);
    const order = await local.api.waitForOrder(orderId, (o) => o.payment.status === 'requires_action');
    return { orderId, order };
  }

  const authenticate = (orderId: string, approve: boolean) =>
    local.api.request('POST', `/_local/payments/${orderId}/authenticate`, { body: { approve }, apiKey: null });

  it.each(WAITING)(
    '%s: pending_payment with requires_action and the client secret; approved, the webhook completes it',
    async (_label, payment) => {
      const { orderId, order } = await waitingOrder(payment);

      expect(order.status).toBe('pending_payment');
      const [intent, ...others] = intentsOf(orderId);
      expect(others).toEqual([]);
      expect(intent?.status).toBe('requires_action');
      expect(order.payment.nextAction).toEqual({ type: 'use_stripe_sdk', clientSecret: intent?.client_secret });

      const authenticated = await authenticate(orderId, true);
      expect(authenticated.status).toBe(200);
      expect(authenticated.json).toMatchObject({ orderId, paymentIntent: intent?.id, status: 'succeeded' });

      const completed = await local.api.waitForOrder(orderId, (o) => o.status === 'completed');
      expect(completed.payment).toEqual({ method: payment.method, status: 'paid', reference: expect.any(String) });
      expect(intentsOf(orderId)).toEqual([
        expect.objectContaining({ id: intent?.id, status: 'succeeded', amount_received: intent?.amount }),
      ]);
      const audit = local.runtime.auditObjects().get(`orders/${orderId}/payment-charged.json`);
      expect(JSON.parse(audit ?? '{}')).toMatchObject({ detail: { chargeId: intent?.id } });
      const events = await eventsOf(orderId);
      expect(events.map(({ event, attempts }) => [event.type, attempts.at(-1)])).toEqual([
        ['payment_intent.succeeded', 200],
      ]);
    },
  );

  it('abandoned (approve: false): the webhook fails the order as declined, nothing is taken, the address is free', async () => {
    const address = freshAddress();
    const created = await local.api.post(
      '/orders',
      orderBody({ address, payment: { method: 'card', paymentMethod: 'pm_card_authenticationRequired' } }),
    );
    const { orderId } = created.json as { orderId: string };
    await local.api.waitForOrder(orderId, (o) => o.payment.status === 'requires_action');

    expect((await authenticate(orderId, false)).status).toBe(200);

    const failed = await local.api.waitForOrder(orderId, (o) => o.status === 'failed');
    expect((await executionEnd(orderId))?.error).toBe('OrderFailed');
    expect(failed.payment).toEqual({ method: 'card', status: 'failed', reference: expect.any(String) });
    const [intent] = intentsOf(orderId);
    expect(intent).toMatchObject({ amount_received: 0 });
    expect(intent?.last_payment_error).toMatchObject({ code: 'payment_intent_authentication_failure' });
    const events = await eventsOf(orderId);
    expect(events.map(({ event, attempts }) => [event.type, attempts.at(-1)])).toEqual([
      ['payment_intent.payment_failed', 200],
    ]);
    const availability = await local.api.get(`/availability?address=${encodeURIComponent(address)}`);
    expect(availability.json.available).toBe(true);
  });

  it('POST /_local/payments/{orderId}/authenticate: 409 for an order not waiting for the holder, 400 for a bad body', async () => {
    const { orderId } = await placeOrder({ method: 'card', paymentMethod: 'pm_card_visa' });
    await local.api.waitForOrder(orderId, (o) => o.status === 'completed');

    const notWaiting = await authenticate(orderId, true);
    expect(notWaiting.status).toBe(409);
    expect(notWaiting.json).toMatchObject({ code: 'not_waiting_for_holder' });
    const bad = await local.api.request('POST', `/_local/payments/${orderId}/authenticate`, {
      body: { approve: 'yes' },
      apiKey: null,
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ errors: [{ path: 'approve' }] });
  });
});

describe('POST /webhooks/stripe', () => {
  it('a forged delivery is a 400 problem naming Stripe-Signature; a redelivered event takes effect once', async () => {
    const { orderId } = await placeOrder({ method: 'card', token: 'tok_visa' });
    await local.api.waitForOrder(orderId, (o) => o.status === 'completed');
    const [delivered] = await eventsOf(orderId);
    if (!delivered) throw new Error('no Stripe event for the order');
    const rawBody = JSON.stringify(delivered.event);
    const send = (signature: string) =>
      local.api.request('POST', '/webhooks/stripe', {
        rawBody,
        apiKey: null,
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      });

    const forged = await send(Stripe.webhooks.generateTestHeaderString({ payload: rawBody, secret: 'whsec_forged' }));
    expect(forged.status).toBe(400);
    expect(forged.headers.get('content-type')).toBe('application/problem+json');
    expect(forged.json).toMatchObject({ status: 400, errors: [{ path: 'Stripe-Signature' }] });

    const again = await send(
      Stripe.webhooks.generateTestHeaderString({ payload: rawBody, secret: LOCAL_STRIPE_WEBHOOK_SECRET }),
    );
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ received: true, eventId: delivered.event.id, duplicate: true });
  });
});

describe('automatic renewals, charged off session to the method the first payment saved', () => {
  const DAY = 24 * 3600 * 1000;
  const mailboxPath = (address: string) => `/mailboxes/${encodeURIComponent(address)}`;
  const authenticate = (orderId: string) =>
    local.api.request('POST', `/_local/payments/${orderId}/authenticate`, { body: { approve: true }, apiKey: null });

  /** A mailbox ordered and paid with `payment` (the holder authenticating, if asked to), with automatic renewal on. */
  async function renewingMailbox(payment: Record<string, unknown>) {
    const address = freshAddress();
    const created = await local.api.post('/orders', orderBody({ address, payment }));
    expect(created.status).toBe(201);
    const { orderId } = created.json as { orderId: string };
    const order = await local.api.waitForOrder(
      orderId,
      (o) => o.status === 'completed' || o.payment.status === 'requires_action',
    );
    if (order.status !== 'completed') {
      expect((await authenticate(orderId)).status).toBe(200);
      await local.api.waitForOrder(orderId, (o) => o.status === 'completed');
    }
    const mailbox = (await local.api.get(mailboxPath(address))).json;
    expect(mailbox).toMatchObject({ status: 'active', autoRenew: true });
    const [first] = intentsOf(orderId);
    return { address, mailbox, first };
  }

  /**
   * The sweeps of an automatic renewal: the charge notice 37 days before expiry (30 before the
   * charge), then the charge a week before; answers the charge's PaymentIntent.
   */
  async function sweepAWeekBefore(address: string, expiresAt: string) {
    const noticed = await local.api.request('POST', '/_local/renewal-sweep', {
      body: { at: new Date(Date.parse(expiresAt) - 37 * DAY).toISOString() },
      apiKey: null,
    });
    expect(noticed.json.chargeNotices).toBeGreaterThanOrEqual(1);
    const swept = await local.api.request('POST', '/_local/renewal-sweep', {
      body: { at: new Date(Date.parse(expiresAt) - 7 * DAY).toISOString() },
      apiKey: null,
    });
    expect(swept.status).toBe(200);
    expect(swept.json.autoRenewals).toBeGreaterThanOrEqual(1);
    const renewals = local.runtime.stripe
      .paymentIntents()
      .filter((intent) => intent.description?.includes(address) && intent.setup_future_usage === null);
    expect(renewals).toHaveLength(1);
    const [renewal] = renewals;
    const orderId = renewal?.metadata.orderId ?? '';
    return { renewal, orderId, order: (await local.api.get(`/orders/${orderId}`)).json };
  }

  it.each([
    ['pm_card_visa', { method: 'card', paymentMethod: 'pm_card_visa' }],
    [
      'tok_visa (a one-time token: the PaymentMethod made from it is what is saved)',
      { method: 'card', token: 'tok_visa' },
    ],
    [
      'pm_card_authenticationRequiredOnSetup (authenticated once, by the holder, on the first payment)',
      { method: 'card', paymentMethod: 'pm_card_authenticationRequiredOnSetup' },
    ],
    ['PayPal (approved once for future payments)', { method: 'paypal', paymentMethod: 'pm_paypal' }],
  ])(
    '%s: renewed a week before expiry, off session, with the saved Customer and PaymentMethod',
    async (_label, payment) => {
      const { address, mailbox, first } = await renewingMailbox(payment);
      expect(first).toMatchObject({ status: 'succeeded', setup_future_usage: 'off_session' });
      const customer = local.runtime.stripe.customers().find((c) => c.id === first?.customer);
      expect(customer).toMatchObject({ email: validHolder.email, metadata: { orderId: first?.metadata.orderId } });

      const { renewal, order } = await sweepAWeekBefore(address, mailbox.expiresAt);

      expect(order).toMatchObject({ kind: 'renewal', status: 'completed', payment: { status: 'paid' } });
      expect(renewal).toMatchObject({
        status: 'succeeded',
        customer: first?.customer,
        payment_method: first?.payment_method,
        amount_received: order.totals.grossCents,
      });
      const renewed = (await local.api.get(mailboxPath(address))).json;
      expect(new Date(renewed.expiresAt).getUTCFullYear()).toBe(new Date(mailbox.expiresAt).getUTCFullYear() + 1);
      expect(renewed).toMatchObject({ status: 'active', autoRenew: true });
    },
  );

  it('pm_card_authenticationRequired (always authenticate): the automatic renewal is declined (authentication_required), never waiting for the holder', async () => {
    const { address, mailbox, first } = await renewingMailbox({
      method: 'card',
      paymentMethod: 'pm_card_authenticationRequired',
    });

    const { renewal, orderId, order } = await sweepAWeekBefore(address, mailbox.expiresAt);

    expect(order).toMatchObject({ kind: 'renewal', status: 'failed', payment: { status: 'failed' } });
    expect(order.payment).not.toHaveProperty('nextAction');
    expect(renewal).toMatchObject({
      customer: first?.customer,
      payment_method: first?.payment_method,
      amount_received: 0,
    });
    expect(renewal?.last_payment_error).toMatchObject({ type: 'card_error', code: 'authentication_required' });
    // The workflow went from the charge straight to its failure: no wait for the holder.
    const execution = local.runtime.stepFunctions.executions().find((e) => e.name === orderId);
    const entered = (execution?.history ?? [])
      .filter((event) => event.type.endsWith('StateEntered'))
      .map((event) => (event.stateEnteredEventDetails as { name?: string } | undefined)?.name);
    expect(entered).toContain('ChargePayment');
    expect(entered).toContain('FailOrder');
    expect(entered).not.toContain('AwaitAuthentication');
    const declined = local.runtime.auditObjects().get(`orders/${orderId}/payment-declined.json`);
    expect(JSON.parse(declined ?? '{}')).toMatchObject({
      detail: { reason: 'authentication_required', offSession: true },
    });
    const failed = local.runtime.auditObjects().get(`orders/${orderId}/order-failed.json`);
    expect(JSON.parse(failed ?? '{}')).toMatchObject({ detail: { declineReason: 'authentication_required' } });
    expect((await local.api.get(mailboxPath(address))).json.expiresAt).toBe(mailbox.expiresAt);
  });
});
