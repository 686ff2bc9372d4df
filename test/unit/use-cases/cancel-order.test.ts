import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Order } from '../../../functions/domain/order.ts';
import { signatureHeader } from '../../../functions/domain/webhook-signature.ts';
import { cancelOrder } from '../../../functions/use-cases/cancel-order.ts';
import { handlePaymentEvent } from '../../../functions/use-cases/handle-payment-event.ts';
import { awaitPayment, closeOrder } from '../../../functions/use-cases/order-fulfilment.ts';
import {
  fakeRenewalLink,
  InMemoryMailboxRepository,
  InMemoryOrderRepository,
  InMemoryPaymentEventRepository,
  InMemoryPaymentGateway,
  RecordingAuditLog,
  RecordingCallbacks,
  RecordingNotifier,
  RecordingWorkflow,
} from '../../support/fakes.ts';
import { Faults } from '../../support/faults.ts';
import { mailboxOf, storedOrder } from '../../support/fixtures.ts';

/*
 * A storefront cancelling an order that waits for its bank transfer or postal slip, against the
 * in-memory ports: the conditional write, the end of the wait, the workflow's closing that follows,
 * and a credit that arrives afterwards.
 */

const now = new Date('2025-03-15T09:30:00.000Z');
const later = new Date('2025-03-15T09:31:00.000Z');
const STOREFRONT = 'storefront-1';

function world(order: Order = storedOrder({}, now)) {
  const faults = new Faults();
  const orders = new InMemoryOrderRepository().seed(order);
  const mailboxes = new InMemoryMailboxRepository().seed(mailboxOf(order, { storefrontId: order.storefrontId }));
  const deps = {
    orders: faults.wrap('orders', orders),
    mailboxes,
    callbacks: new RecordingCallbacks(),
    workflow: new RecordingWorkflow(),
    notifier: new RecordingNotifier(),
    audit: new RecordingAuditLog(),
    // A transfer order: nothing was asked of the card gateway, so it has nothing to find or cancel.
    gateway: new InMemoryPaymentGateway(),
    paymentWaitSeconds: 5 * 24 * 3600,
    renewalLink: fakeRenewalLink,
  };
  return { order, orders, faults, deps };
}

describe('cancelOrder', () => {
  it('cancels a waiting transfer order at once and fails its wait with the error the workflow routes to CancelOrder', async () => {
    const { order, orders, deps } = world();
    await orders.saveTaskToken(order.orderId, 'token-1');

    const answer = await cancelOrder(deps, order.orderId, STOREFRONT, now);

    expect(answer).toMatchObject({ orderId: order.orderId, status: 'cancelled', payment: { status: 'pending' } });
    expect(await orders.get(order.orderId)).toMatchObject({
      status: 'cancelled',
      failureReason: 'cancelled_by_storefront',
      closedAt: now.toISOString(),
    });
    expect(deps.callbacks.calls).toEqual([
      {
        token: 'token-1',
        outcome: 'fail',
        detail: { error: ErrorName.OrderCancelledError, cause: expect.any(String) },
      },
    ]);
    // The wait was ended: no execution needs starting.
    expect(deps.workflow.started).toEqual([]);
  });

  it('cancels a postal slip order too', async () => {
    const { order, deps } = world(
      storedOrder({ payment: { method: 'postal_slip', status: 'pending', reference: 'RF' } }, now),
    );
    expect((await cancelOrder(deps, order.orderId, STOREFRONT, now)).status).toBe('cancelled');
  });

  it("answers 404 for another storefront's order, exactly as for an unknown one, and changes nothing", async () => {
    const { order, orders, deps } = world();
    await orders.saveTaskToken(order.orderId, 'token-1');

    const foreign = cancelOrder(deps, order.orderId, 'storefront-2', now);
    const unknown = cancelOrder(deps, '0000000000ZZ', STOREFRONT, now);

    await expect(foreign).rejects.toMatchObject({ name: ErrorName.NotFoundError, code: 'order_not_found' });
    await expect(unknown).rejects.toMatchObject({ name: ErrorName.NotFoundError, code: 'order_not_found' });
    expect((await orders.get(order.orderId))?.status).toBe('pending_payment');
    expect(deps.callbacks.calls).toEqual([]);
  });

  it.each([
    [
      'paid and activating',
      { status: 'activating', paymentStatus: 'paid', method: 'bank_transfer' },
      'being activated',
    ],
    ['completed', { status: 'completed', paymentStatus: 'paid', method: 'bank_transfer' }, 'completed'],
    ['failed', { status: 'failed', paymentStatus: 'failed', method: 'bank_transfer' }, 'failed'],
    [
      'waiting with its payment reported failed',
      { status: 'pending_payment', paymentStatus: 'failed', method: 'bank_transfer' },
      'reported failed',
    ],
    ['a card order being charged', { status: 'pending_payment', paymentStatus: 'pending', method: 'card' }, 'charged'],
    [
      'a PayPal order being charged',
      { status: 'pending_payment', paymentStatus: 'pending', method: 'paypal' },
      'charged',
    ],
  ] as const)('refuses an order %s with 409 order_not_cancellable, changing nothing', async (_case, state, why) => {
    const { order, orders, deps } = world(
      storedOrder(
        {
          status: state.status,
          payment: { method: state.method, status: state.paymentStatus, reference: 'RF' },
        },
        now,
      ),
    );

    const refused = cancelOrder(deps, order.orderId, STOREFRONT, now);

    await expect(refused).rejects.toMatchObject({ name: ErrorName.ConflictError, code: 'order_not_cancellable' });
    await expect(refused).rejects.toThrow(why);
    expect((await orders.get(order.orderId))?.status).toBe(state.status);
    expect(deps.callbacks.calls).toEqual([]);
    expect(deps.workflow.started).toEqual([]);
  });

  it('refuses when the credit is registered between the read and the write: the payment wins', async () => {
    const { order, orders, faults, deps } = world();
    faults.before('orders.cancelWaiting', async () => {
      await orders.markPaid(order.orderId, now, 'evt_credit');
    });

    await expect(cancelOrder(deps, order.orderId, STOREFRONT, now)).rejects.toMatchObject({
      code: 'order_not_cancellable',
    });
    expect((await orders.get(order.orderId))?.status).toBe('activating');
  });

  it('answers a repeated cancel with the cancelled order, and fails the wait again until the closing has told the holder', async () => {
    const { order, orders, deps } = world();
    await orders.saveTaskToken(order.orderId, 'token-1');
    await cancelOrder(deps, order.orderId, STOREFRONT, now);

    // Before the closing ran: the token was used, so the wait is over; a run is made sure of.
    expect((await cancelOrder(deps, order.orderId, STOREFRONT, later)).status).toBe('cancelled');
    expect(deps.callbacks.calls).toHaveLength(2);
    expect(deps.workflow.started.map((start) => start.orderId)).toEqual([order.orderId]);

    // Once the closing has told the holder, nothing is left to do.
    await orders.claimEmail(order.orderId, 'closeEmailSentAt', later);
    const again = await cancelOrder(deps, order.orderId, STOREFRONT, later);
    expect(again).toMatchObject({ status: 'cancelled' });
    expect((await orders.get(order.orderId))?.closedAt).toBe(now.toISOString());
    expect(deps.callbacks.calls).toHaveLength(2);
  });

  it('answers an order already cancelled because its payment did not arrive, without touching its workflow', async () => {
    const { order, orders, deps } = world();
    await orders.close(order.orderId, 'cancelled', 'States.Timeout', now);

    expect((await cancelOrder(deps, order.orderId, STOREFRONT, later)).status).toBe('cancelled');
    expect(deps.callbacks.calls).toEqual([]);
    expect(deps.workflow.started).toEqual([]);
  });

  it('before the workflow waits, makes sure it runs; its wait then finds the order cancelled and sends no instructions', async () => {
    const { order, deps } = world();

    await cancelOrder(deps, order.orderId, STOREFRONT, now);

    expect(deps.callbacks.calls).toEqual([]);
    expect(deps.workflow.started).toEqual([
      { orderId: order.orderId, input: expect.objectContaining({ orderId: order.orderId }) },
    ]);
    await expect(awaitPayment(deps, order.orderId, 'token-1', later)).rejects.toMatchObject({
      name: ErrorName.OrderCancelledError,
    });
    expect(deps.notifier.sent).toEqual([]);
  });

  it('a wait whose token is being kept as the order is cancelled ends in the cancellation as well', async () => {
    const { order, orders, faults, deps } = world();
    faults.before('orders.saveTaskToken', async () => {
      await cancelOrder(deps, order.orderId, STOREFRONT, now);
    });

    await expect(awaitPayment(deps, order.orderId, 'token-1', now)).rejects.toMatchObject({
      name: ErrorName.OrderCancelledError,
    });
    expect(await orders.getTaskToken(order.orderId)).toBeUndefined();
  });
});

describe('after the cancellation', () => {
  it("the workflow's closing frees the address, tells the holder once that the order was cancelled as asked, and audits it", async () => {
    const { order, orders, deps } = world();
    await orders.saveTaskToken(order.orderId, 'token-1');
    await cancelOrder(deps, order.orderId, STOREFRONT, now);

    await closeOrder(deps, order.orderId, 'cancelled', ErrorName.OrderCancelledError, later);
    await closeOrder(deps, order.orderId, 'cancelled', ErrorName.OrderCancelledError, later);

    expect(await deps.mailboxes.get(order.mailbox.address)).toBeUndefined();
    expect(deps.notifier.of('orderCancelled')).toEqual([
      expect.objectContaining({ orderId: order.orderId, onRequest: true, refundCents: undefined }),
    ]);
    expect([...deps.audit.entries.values()]).toEqual([
      expect.objectContaining({
        event: 'order-cancelled',
        at: now,
        detail: { reason: 'cancelled_by_storefront' },
      }),
    ]);
    expect((await orders.get(order.orderId))?.payment.status).toBe('pending');
  });

  it('a credit that arrives after the cancellation is an anomaly, with the money to give back', async () => {
    const { order, orders, deps } = world();
    await orders.saveTaskToken(order.orderId, 'token-1');
    await cancelOrder(deps, order.orderId, STOREFRONT, now);
    const events = new InMemoryPaymentEventRepository();
    const rawBody = JSON.stringify({
      id: 'evt_late',
      type: 'credit.registered',
      orderId: order.orderId,
      amountCents: order.totals.grossCents,
      currency: 'EUR',
      occurredAt: later.toISOString(),
    });
    const signature = signatureHeader('whsec_test', Math.floor(later.getTime() / 1000), rawBody);

    const result = await handlePaymentEvent({ ...deps, events, secret: 'whsec_test' }, { signature, rawBody }, later);

    expect(result).toMatchObject({ outcome: 'credit_for_closed_order', refundRequired: true });
    expect(events.events.get('evt_late')?.result).toEqual({
      outcome: 'credit_for_closed_order',
      anomaly: true,
      refund: { status: 'required', amountCents: 610, currency: 'EUR' },
    });
    expect((await orders.get(order.orderId))?.status).toBe('cancelled');
    // The wait was ended by the cancellation only: the credit resumed nothing.
    expect(deps.callbacks.calls.map((call) => call.outcome)).toEqual(['fail']);
  });
});
