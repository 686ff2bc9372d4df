import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { ApiClient } from '../support/client.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

let runtime: LocalRuntime;
let api: ApiClient;

// A runtime whose orders wait 2 seconds for their credit instead of 30 days.
beforeAll(async () => {
  runtime = await startLocalRuntime({ port: 0, paymentWaitSeconds: 2 });
  api = new ApiClient(runtime.url);
});
afterAll(() => runtime?.stop());

it('an order whose credit never arrives is cancelled, its address freed, its holder told; a late credit is a no-op', async () => {
  const address = freshAddress('mypec.eu');
  const created = await api.post('/orders', orderBody({ address, payment: { method: 'bank_transfer' } }));
  expect(created.status).toBe(201);
  const orderId = created.json.orderId;

  const order = await api.waitForOrder(orderId, (o) => o.status === 'cancelled', 400);
  expect(order.paidAt).toBeNull();
  expect((await api.get(`/availability?address=${encodeURIComponent(address)}`)).json.available).toBe(true);
  const cancelled = (await api.outbox()).filter((m) => m.text.includes(address) && m.subject.includes('annullato'));
  expect(cancelled).toHaveLength(1);

  const late = await deliver(api, paymentEvent(orderId, 610));
  expect(late.status).toBe(200);
  expect(late.json.outcome).toBe('credit_for_closed_order');
  expect((await api.get(`/orders/${orderId}`)).json.status).toBe('cancelled');
});
