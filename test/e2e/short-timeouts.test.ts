import { expect, it } from 'vitest';
import { tokenFrom } from '../support/client.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

// A runtime whose orders wait 2 seconds for their credit instead of 30 days, and whose
// first-access links expire after 1 second instead of 72 hours.
const local = withLocalRuntime({ paymentWaitSeconds: 2, accessTokenTtlSeconds: 1 });

it('an order whose credit never arrives is cancelled, its address freed, its holder told; a late credit is a no-op', async () => {
  const address = freshAddress('mypec.eu');
  const created = await local.api.post('/orders', orderBody({ address, payment: { method: 'bank_transfer' } }));
  expect(created.status).toBe(201);
  const orderId = created.json.orderId;

  const order = await local.api.waitForOrder(orderId, (o) => o.status === 'cancelled', 400);
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
