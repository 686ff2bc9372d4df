import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { formatCreditorReference, isValidCreditorReference } from '../../functions/domain/creditor-reference.ts';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

const local = withLocalRuntime();

/** Places a bank transfer (or postal slip) order and waits until its workflow waits for the credit. */
async function waitingOrder(method: 'bank_transfer' | 'postal_slip' = 'bank_transfer') {
  const address = freshAddress('pec.cloud');
  const created = await local.api.post('/orders', orderBody({ address, payment: { method } }));
  expect(created.status).toBe(201);
  const orderId: string = created.json.orderId;
  await local.runtime.outbox.waitFor((m) => m.text.includes(orderId) && m.subject.includes('pagamento'), 10_000);
  return { address, orderId, order: created.json };
}

const emailsAbout = async (address: string) => (await local.api.outbox()).filter((m) => m.text.includes(address));

describe('bank transfer and postal slip orders', () => {
  it('stay pending with an RF reference, quoted by the payment instructions email', async () => {
    for (const method of ['bank_transfer', 'postal_slip'] as const) {
      const { orderId, order, address } = await waitingOrder(method);
      expect(order).toMatchObject({ status: 'pending_payment', payment: { method, status: 'pending' } });
      expect(isValidCreditorReference(order.payment.reference)).toBe(true);
      expect(order.payment.reference).toContain(orderId);

      const instructions = (await emailsAbout(address)).filter((m) => m.subject.includes('pagamento'));
      expect(instructions).toHaveLength(1);
      const text = instructions[0]?.text ?? '';
      expect(text).toContain(formatCreditorReference(order.payment.reference));
      expect(text).toContain('6,10'); // the gross total, in euro
      expect(text).toContain(method === 'postal_slip' ? 'Conto corrente postale' : 'IBAN');
      expect(instructions[0]?.html).toContain(formatCreditorReference(order.payment.reference));

      const again = await local.api.get(`/orders/${orderId}`);
      expect(again.json.status).toBe('pending_payment');
    }
  });

  it('a wrong signature or an hour-old timestamp is 401 and changes nothing', async () => {
    const { orderId } = await waitingOrder();
    const event = paymentEvent(orderId, 610);
    const forged = await deliver(local.api, event, { secret: 'whsec_not_the_secret' });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('content-type')).toBe('application/problem+json');
    const stale = await deliver(local.api, event, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.status).toBe(401);
    const unsigned = await deliver(local.api, event, { signature: '' });
    expect(unsigned.status).toBe(401);
    expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('pending_payment');

    // The same event, properly signed, still takes effect: the forged deliveries recorded nothing.
    expect((await deliver(local.api, event)).status).toBe(200);
    await local.api.waitForOrder(orderId, (o) => o.status === 'completed');
  });

  it('a short credit leaves the order pending; the right one, delivered 3 times at once, completes it with one email', async () => {
    const { orderId, address } = await waitingOrder();
    const short = await deliver(local.api, paymentEvent(orderId, 500));
    expect(short.status).toBe(200);
    expect(short.json.outcome).toBe('amount_mismatch');
    expect((await local.api.get(`/orders/${orderId}`)).json).toMatchObject({
      status: 'pending_payment',
      payment: { status: 'pending' },
    });

    const credit = paymentEvent(orderId, 610);
    const deliveries = await Promise.all([
      deliver(local.api, credit),
      deliver(local.api, credit),
      deliver(local.api, credit),
    ]);
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200]);

    const order = await local.api.waitForOrder(orderId, (o) => o.status === 'completed');
    expect(order.payment.status).toBe('paid');
    // The order completes only after the first-access email is sent.
    const firstAccess = (await emailsAbout(address)).filter((m) => m.text.includes('token='));
    expect(firstAccess).toHaveLength(1);

    // Later redeliveries and a late failure change nothing.
    expect((await deliver(local.api, credit)).json).toMatchObject({ outcome: 'duplicate', duplicate: true });
    const lateFailure = await deliver(local.api, paymentEvent(orderId, 610, { type: 'payment.failed' }));
    expect(lateFailure.status).toBe(200);
    expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('completed');
    expect((await local.api.get(`/mailboxes/${encodeURIComponent(address)}`)).json.status).toBe('active');
  });

  it('a credit in another currency, and a second full credit, are acknowledged and marked refund-required', async () => {
    const { orderId } = await waitingOrder();
    const dollars = await deliver(local.api, paymentEvent(orderId, 610, { currency: 'USD' }));
    expect(dollars.status).toBe(200);
    expect(dollars.json).toMatchObject({ outcome: 'currency_mismatch', refundRequired: true });
    expect((await local.api.get(`/orders/${orderId}`)).json.payment.status).toBe('pending');

    expect((await deliver(local.api, paymentEvent(orderId, 610))).json).toMatchObject({ refundRequired: false });
    await local.api.waitForOrder(orderId, (o) => o.status === 'completed');
    const second = await deliver(local.api, paymentEvent(orderId, 610));
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ duplicate: false, refundRequired: true });
    expect((await local.api.get(`/orders/${orderId}`)).json).toMatchObject({
      status: 'completed',
      payment: { status: 'paid' },
    });
  });

  it('a reported payment failure fails the waiting order and frees the address', async () => {
    const { orderId, address } = await waitingOrder('postal_slip');
    const failed = await deliver(local.api, paymentEvent(orderId, 610, { type: 'payment.failed' }));
    expect(failed.status).toBe(200);
    const order = await local.api.waitForOrder(orderId, (o) => o.status === 'failed');
    expect(order.payment.status).toBe('failed');
    expect((await local.api.get(`/availability?address=${encodeURIComponent(address)}`)).json.available).toBe(true);
  });

  it('an event for an unknown order is acknowledged and recorded as an anomaly', async () => {
    const response = await deliver(local.api, paymentEvent('0000UNKNOWN0', 610));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ received: true, outcome: 'unknown_order' });
  });

  it('a validly signed but malformed event is a 400 naming the fields', async () => {
    const response = await deliver(local.api, { id: 'nope', type: 'credit.registered', amountCents: -1 });
    expect(response.status).toBe(400);
    const paths = response.json.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['id', 'orderId', 'amountCents', 'currency', 'occurredAt']));
  });

  it('a replay of an order whose workflow was stopped while it waited starts the workflow again, which completes', async () => {
    const body = orderBody({ address: freshAddress('pec.cloud'), payment: { method: 'bank_transfer' } });
    const headers = { 'idempotency-key': `key-restart-${Date.now()}` };
    const created = await local.api.post('/orders', body, { headers });
    expect(created.status).toBe(201);
    const orderId: string = created.json.orderId;
    await local.runtime.outbox.waitFor((m) => m.text.includes(orderId) && m.subject.includes('pagamento'), 10_000);

    // An operator (or anything else) stops the execution: the order is left waiting, holding its address.
    const { stepFunctions, stateMachineArn } = local.runtime;
    const sfn = new SFNClient({
      endpoint: stepFunctions.endpoint,
      region: stateMachineArn.split(':')[3],
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`;
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Stopped', cause: 'by the test' }));
    expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('pending_payment');

    const replayed = await local.api.post('/orders', body, { headers });
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.json.orderId).toBe(orderId);
    const runs = () =>
      stepFunctions
        .executions()
        .filter((e) => e.name === orderId || e.name.startsWith(`${orderId}-`))
        .map((e) => [e.name, e.status]);
    expect(runs()).toEqual([
      [orderId, 'ABORTED'],
      [`${orderId}-2`, 'RUNNING'],
    ]);
    // A second replay while the new run waits starts nothing more.
    await local.api.post('/orders', body, { headers });
    expect(runs()).toHaveLength(2);

    // The credit completes the order through the new run; the instructions were emailed once.
    expect((await deliver(local.api, paymentEvent(orderId, 610))).status).toBe(200);
    await local.api.waitForOrder(orderId, (o) => o.status === 'completed');
    // The order is marked completed by the workflow's last task; the run ends right after it.
    while (runs().some(([name, status]) => name === `${orderId}-2` && status === 'RUNNING')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(runs()).toEqual([
      [orderId, 'ABORTED'],
      [`${orderId}-2`, 'SUCCEEDED'],
    ]);
    const emails = (await emailsAbout(body.mailbox.address)).map((m) => m.subject);
    expect(emails.filter((subject) => subject.includes('pagamento'))).toHaveLength(1);
    expect(emails.filter((subject) => subject.includes('attiva'))).toHaveLength(1);
  });
});
