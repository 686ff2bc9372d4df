import { expect, it } from 'vitest';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

// A runtime whose orders wait 2 seconds for their credit instead of 30 days.
const local = withLocalRuntime({ paymentWaitSeconds: 2 });

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
