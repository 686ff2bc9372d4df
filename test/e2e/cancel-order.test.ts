import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

/*
 * POST /orders/{orderId}/cancel over HTTP, as a storefront uses it: an order waiting for its bank
 * transfer or postal slip is cancelled at once, its workflow stops waiting and closes it (the
 * address free again, the holder told), and a credit that arrives afterwards is money to give back.
 */

const local = withLocalRuntime();

const cancel = (orderId: string, api: ApiClient = local.api) => api.request('POST', `/orders/${orderId}/cancel`);
const available = async (address: string) =>
  (await local.api.get(`/availability?address=${encodeURIComponent(address)}`)).json.available as boolean;
const emailsAbout = async (address: string) => (await local.api.outbox()).filter((m) => m.text.includes(address));
const CANCELLED_EMAIL = (orderId: string) => `Ordine ${orderId} annullato`;

/** The runs of an order's workflow, as [name, status, error]. */
const runsOf = (orderId: string) =>
  local.runtime.stepFunctions
    .executions()
    .filter((e) => e.name === orderId || e.name.startsWith(`${orderId}-`))
    .map((e) => [e.name, e.status, e.error]);

/** Waits until no run of the order's workflow is running, and answers the runs. */
async function runsEnded(orderId: string) {
  while (runsOf(orderId).some(([, status]) => status === 'RUNNING')) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return runsOf(orderId);
}

/** A bank transfer order whose workflow waits for the credit (the instructions emailed). */
async function waitingOrder(method: 'bank_transfer' | 'postal_slip' = 'bank_transfer') {
  const address = freshAddress('pecditta.com');
  const created = await local.api.post('/orders', orderBody({ address, payment: { method } }));
  expect(created.status).toBe(201);
  const orderId: string = created.json.orderId;
  await local.runtime.outbox.waitFor((m) => m.text.includes(orderId) && m.subject.includes('pagamento'), 10_000);
  return { orderId, address, grossCents: created.json.totals.grossCents as number };
}

describe('POST /orders/{orderId}/cancel', () => {
  it('cancels a waiting transfer order: 200 cancelled, its wait ended, the address free again, the holder told', async () => {
    const { orderId, address } = await waitingOrder();
    expect(await available(address)).toBe(false);

    const response = await cancel(orderId);

    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ orderId, status: 'cancelled', payment: { status: 'pending' } });
    expect(await runsEnded(orderId)).toEqual([[orderId, 'FAILED', 'OrderCancelled']]);
    expect(await available(address)).toBe(true);
    const told = (await emailsAbout(address)).filter((m) => m.subject === CANCELLED_EMAIL(orderId));
    expect(told).toHaveLength(1);
    expect(told[0]?.text).toContain('come richiesto');
    expect(told[0]?.text).toContain("L'indirizzo è di nuovo disponibile");
    expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('cancelled');
    // The closing is audited once, with why.
    const audit = [...local.runtime.auditObjects().keys()].filter((key) => key.includes(orderId));
    expect(audit.filter((key) => key.includes('order-cancelled'))).toHaveLength(1);
  });

  it('answers a repeated cancel with the cancelled order, and tells the holder only once', async () => {
    const { orderId, address } = await waitingOrder('postal_slip');

    const first = await cancel(orderId);
    await runsEnded(orderId);
    const second = await cancel(orderId);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.json).toEqual(first.json);
    await runsEnded(orderId);
    expect(runsOf(orderId)).toHaveLength(1);
    expect((await emailsAbout(address)).filter((m) => m.subject === CANCELLED_EMAIL(orderId))).toHaveLength(1);
  });

  it('cancels an order placed a moment ago, before its workflow waits: the workflow closes it when it gets there', async () => {
    const address = freshAddress('pecditta.com');
    const created = await local.api.post('/orders', orderBody({ address, payment: { method: 'bank_transfer' } }));

    const response = await cancel(created.json.orderId);

    expect(response.status).toBe(200);
    expect(response.json.status).toBe('cancelled');
    const orderId: string = created.json.orderId;
    expect(await runsEnded(orderId)).toEqual([[orderId, 'FAILED', 'OrderCancelled']]);
    await local.runtime.outbox.waitFor((m) => m.subject === CANCELLED_EMAIL(orderId));
    expect(await available(address)).toBe(true);
  });

  it('closes an order whose workflow no longer runs (stopped) by starting a run that goes straight to its closing', async () => {
    const { orderId, address } = await waitingOrder();
    const { stepFunctions, stateMachineArn } = local.runtime;
    const sfn = new SFNClient({
      endpoint: stepFunctions.endpoint,
      region: stateMachineArn.split(':')[3],
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`;
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Stopped', cause: 'by the test' }));

    expect((await cancel(orderId)).json.status).toBe('cancelled');

    expect(await runsEnded(orderId)).toEqual([
      [orderId, 'ABORTED', 'Stopped'],
      [`${orderId}-2`, 'FAILED', 'OrderCancelled'],
    ]);
    expect(await available(address)).toBe(true);
    expect((await emailsAbout(address)).filter((m) => m.subject === CANCELLED_EMAIL(orderId))).toHaveLength(1);
  });

  it('refuses a paid order with 409 order_not_cancellable, and it completes as paid', async () => {
    const { orderId, grossCents } = await waitingOrder();
    expect((await deliver(local.api, paymentEvent(orderId, grossCents))).status).toBe(200);

    const response = await cancel(orderId);

    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.json).toMatchObject({ status: 409, code: 'order_not_cancellable' });
    expect((await local.api.waitForOrder(orderId, (o) => o.status === 'completed')).payment.status).toBe('paid');
  });

  it('refuses a completed card order with 409 order_not_cancellable', async () => {
    const created = await local.api.post('/orders', orderBody());
    const orderId: string = created.json.orderId;
    await local.api.waitForOrder(orderId, (o) => o.status === 'completed');

    const response = await cancel(orderId);

    expect(response.status).toBe(409);
    expect(response.json.code).toBe('order_not_cancellable');
    expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('completed');
  });

  it("answers 404 for an unknown order and for another storefront's waiting order, which stays as it was", async () => {
    const { orderId, address } = await waitingOrder();
    const other = new ApiClient(local.api.baseUrl, 'sk_local_other');

    const foreign = await cancel(orderId, other);
    const unknown = await cancel('0000000000ZZ');

    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect({ ...foreign.json, detail: undefined }).toEqual({ ...unknown.json, detail: undefined });
    expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('pending_payment');
    expect(await available(address)).toBe(false);
  });

  it('records a credit that arrives after the cancellation as an anomaly, refund-required, and the order stays cancelled', async () => {
    const { orderId, grossCents } = await waitingOrder();
    expect((await cancel(orderId)).status).toBe(200);

    const late = await deliver(local.api, paymentEvent(orderId, grossCents));

    expect(late.status).toBe(200);
    expect(late.json).toMatchObject({ outcome: 'credit_for_closed_order', refundRequired: true });
    await runsEnded(orderId);
    expect((await local.api.get(`/orders/${orderId}`)).json).toMatchObject({
      status: 'cancelled',
      payment: { status: 'pending' },
    });
    const audit = [...local.runtime.auditObjects().keys()].filter((key) => key.includes(orderId));
    expect(audit.some((key) => key.includes('payment-event'))).toBe(true);
  });
});
