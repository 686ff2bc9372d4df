import { expect, it, vi } from 'vitest';
import { tokenFrom } from '../support/client.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

// A runtime whose orders wait 2 seconds for their credit instead of 30 days, whose first-access
// links expire after 1 second instead of 72 hours, whose own domains have 2 seconds instead of
// 14 days to point their MX records at the provider, and whose holders have 2 seconds instead of
// an hour to authenticate a card (3-D Secure).
const local = withLocalRuntime({
  paymentWaitSeconds: 2,
  accessTokenTtlSeconds: 1,
  context: { 'pec:domainDnsDeadlineSeconds': 2, 'pec:authenticationWaitSeconds': 2 },
});

/**
 * The order's workflow once it has ended: an order shows cancelled or failed as its closing step
 * begins, which then frees the address, settles the money and tells the holder.
 */
async function executionEnd(orderId: string) {
  for (let polls = 0; polls < 200; polls++) {
    const execution = local.runtime.stepFunctions.executions().find((e) => e.name === orderId);
    if (execution && execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

it('a card whose holder never authenticates it (3-D Secure) is cancelled: its PaymentIntent cancelled, nothing taken, the address freed', async () => {
  const address = freshAddress('mypec.eu');
  const created = await local.api.post(
    '/orders',
    orderBody({ address, payment: { method: 'card', paymentMethod: 'pm_card_authenticationRequired' } }),
  );
  expect(created.status).toBe(201);
  const orderId = created.json.orderId;
  await local.api.waitForOrder(orderId, (o) => o.payment.status === 'requires_action');

  const order = await local.api.waitForOrder(orderId, (o) => o.status === 'cancelled', 400);
  // The order shows cancelled as its closing begins; the closing then cancels the PaymentIntent.
  expect((await executionEnd(orderId))?.error).toBe('OrderCancelled');
  expect(order.payment).toEqual({ method: 'card', status: 'pending', reference: expect.any(String) });
  const intents = local.runtime.stripe.paymentIntents().filter((intent) => intent.metadata.orderId === orderId);
  expect(intents).toEqual([
    expect.objectContaining({ status: 'canceled', cancellation_reason: 'abandoned', amount_received: 0 }),
  ]);
  expect((await local.api.get(`/availability?address=${encodeURIComponent(address)}`)).json.available).toBe(true);
  // Too late for the holder: the PaymentIntent can no longer be authenticated.
  expect(
    (
      await local.api.request('POST', `/_local/payments/${orderId}/authenticate`, {
        body: { approve: true },
        apiKey: null,
      })
    ).status,
  ).toBe(409);
});

it('an order whose credit never arrives is cancelled, its address freed, its holder told; a late credit is a no-op', async () => {
  const address = freshAddress('mypec.eu');
  const created = await local.api.post('/orders', orderBody({ address, payment: { method: 'bank_transfer' } }));
  expect(created.status).toBe(201);
  const orderId = created.json.orderId;

  const order = await local.api.waitForOrder(orderId, (o) => o.status === 'cancelled', 400);
  expect((await executionEnd(orderId))?.error).toBe('OrderCancelled');
  expect(order.paidAt).toBeNull();
  expect((await local.api.get(`/availability?address=${encodeURIComponent(address)}`)).json.available).toBe(true);
  const cancelled = (await local.api.outbox()).filter(
    (m) => m.text.includes(address) && m.subject.includes('annullato'),
  );
  expect(cancelled).toHaveLength(1);

  const late = await deliver(local.api, paymentEvent(orderId, 610));
  expect(late.status).toBe(200);
  expect(late.json.outcome).toBe('credit_for_closed_order');
  expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('cancelled');
});

it('an expired first-access link is 410 and sets nothing', async () => {
  const address = freshAddress('pecaruba.it');
  const created = await local.api.post('/orders', orderBody({ address }));
  await local.api.waitForOrder(created.json.orderId, (o) => o.status === 'completed');
  const email = (await local.api.outbox()).find((m) => m.text.includes(address) && m.text.includes('token='));
  const token = tokenFrom(email?.text ?? '');
  await new Promise((resolve) => setTimeout(resolve, 1500)); // past the 1-second lifetime
  const response = await local.api.post('/password-setup', { token, password: 'Sole-Luna-2026!' }, { apiKey: null });
  expect(response.status).toBe(410);
  expect(response.json.code).toBe('token_gone');
  expect((await local.api.get(`/mailboxes/${encodeURIComponent(address)}`)).json.passwordSet).toBe(false);
});

it('an own domain whose MX records are not set by the deadline fails the paid card order: refunded through Stripe, address freed, holder told', async () => {
  const domain = `tardi-${process.pid}-${Date.now().toString(36)}.it`;
  await local.api.request('PUT', `/_local/dns/${domain}`, { body: { mx: [] }, apiKey: null });
  const address = `info@${domain}`;
  const created = await local.api.post('/orders', {
    ...orderBody({ address, payment: { method: 'card', paymentMethod: 'pm_card_visa' } }),
    mailbox: { address, type: 'standard', domainPec: true },
  });
  expect(created.status).toBe(201);
  const orderId = created.json.orderId;

  // Closed, its refund recorded, then made through Stripe by the same closing step.
  const order = await local.api.waitForOrder(
    orderId,
    (o) => o.status === 'failed' && o.payment.status === 'refunded',
    400,
  );
  expect(order.payment).toEqual({ method: 'card', status: 'refunded', reference: expect.any(String) });
  const [intent] = local.runtime.stripe.paymentIntents().filter((pi) => pi.metadata.orderId === orderId);
  expect(intent?.status).toBe('succeeded');
  expect(local.runtime.stripe.refunds().filter((refund) => refund.payment_intent === intent?.id)).toEqual([
    expect.objectContaining({ amount: intent?.amount, status: 'succeeded' }),
  ]);
  // Stripe's charge.refunded reached the webhook and was recorded (the order was refunded already).
  await local.runtime.stripe.idle();
  const refunded = local.runtime.stripe
    .events()
    .filter(({ event }) => event.type === 'charge.refunded')
    .find(({ event }) => (event.data.object as { payment_intent?: string }).payment_intent === intent?.id);
  expect(refunded?.attempts.at(-1)).toBe(200);
  expect((await local.api.get(`/orders/${orderId}`)).json.payment.status).toBe('refunded');

  // The closing step goes on after the order shows its refund: the address, the email, the audit entries.
  await vi.waitFor(
    async () => {
      expect((await local.api.get(`/mailboxes/${encodeURIComponent(address)}`)).status).toBe(404);
      const emails = (await local.api.outbox()).filter((m) => m.text.includes(address));
      expect(emails.some((m) => m.subject.includes('record MX'))).toBe(true);
      expect(emails.filter((m) => m.text.includes('ti verrà rimborsato'))).toHaveLength(1);
      const audited = [...local.runtime.auditObjects().keys()].filter(
        (key) => key.startsWith(`orders/${orderId}/`) && key.includes('refund'),
      );
      expect(audited.sort()).toEqual([`orders/${orderId}/refund-required.json`, `orders/${orderId}/refunded.json`]);
    },
    { timeout: 10_000, interval: 50 },
  );
});
