import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import { signatureHeader } from '../../../functions/domain/webhook-signature.ts';
import { handlePaymentEvent } from '../../../functions/use-cases/handle-payment-event.ts';
import {
  InMemoryOrderRepository,
  InMemoryPaymentEventRepository,
  RecordingAuditLog,
  RecordingCallbacks,
} from '../../support/fakes.ts';
import { storedOrder } from '../../support/fixtures.ts';

/*
 * The payment webhook's use case against the in-memory ports: what a delivery does to the order,
 * the waiting workflow and the event record. (The same runs on the local DynamoDB, with random
 * interleavings, in test/integration/payment-events.property.test.ts, and over HTTP in e2e.)
 */

const SECRET = 'whsec_test';
const now = new Date('2025-03-15T09:30:00.000Z');

function world() {
  const order = storedOrder({}, now);
  const deps = {
    orders: new InMemoryOrderRepository().seed(order),
    events: new InMemoryPaymentEventRepository(),
    callbacks: new RecordingCallbacks(),
    audit: new RecordingAuditLog(),
    secret: SECRET,
  };
  return { order, deps };
}

let counter = 0;
function delivery(event: Record<string, unknown>, secret = SECRET) {
  const rawBody = JSON.stringify({
    id: `evt_${counter++}`,
    type: 'credit.registered',
    currency: 'EUR',
    occurredAt: now.toISOString(),
    ...event,
  });
  return { rawBody, signature: signatureHeader(secret, Math.floor(now.getTime() / 1000), rawBody) };
}

describe('handlePaymentEvent', () => {
  it('a bad signature changes nothing', async () => {
    const { order, deps } = world();
    const forged = delivery({ orderId: order.orderId, amountCents: 610 }, 'whsec_other');
    await expect(handlePaymentEvent(deps, forged, now)).rejects.toMatchObject({ code: 'invalid_signature' });
    expect(deps.events.events.size).toBe(0);
    expect((await deps.orders.get(order.orderId))?.payment.status).toBe('pending');
  });

  it('the exact credit pays a waiting order and resumes its workflow once, however often it is delivered', async () => {
    const { order, deps } = world();
    await deps.orders.saveTaskToken(order.orderId, 'token-1');
    const credit = delivery({ orderId: order.orderId, amountCents: 610 });

    expect(await handlePaymentEvent(deps, credit, now)).toMatchObject({ outcome: 'paid', duplicate: false });
    expect(await handlePaymentEvent(deps, credit, now)).toMatchObject({ outcome: 'duplicate', duplicate: true });

    expect((await deps.orders.get(order.orderId))?.payment.status).toBe('paid');
    expect(deps.callbacks.calls).toEqual([{ token: 'token-1', outcome: 'succeed', detail: expect.any(Object) }]);
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['payment-event']);
  });

  it('a credit that arrives before the workflow waits is refused for now and not finished, so it is delivered again', async () => {
    const { order, deps } = world();
    const credit = delivery({ orderId: order.orderId, amountCents: 610 });

    await expect(handlePaymentEvent(deps, credit, now)).rejects.toMatchObject({ name: ErrorName.RetryLaterError });
    await deps.orders.saveTaskToken(order.orderId, 'token-1');
    expect(await handlePaymentEvent(deps, credit, now)).toMatchObject({ outcome: 'paid', duplicate: true });
    expect(deps.callbacks.calls).toHaveLength(1);
  });

  it.each([
    ['another currency', { amountCents: 610, currency: 'USD' }, 'currency_mismatch'],
    ['a short credit', { amountCents: 500, currency: 'EUR' }, 'amount_mismatch'],
  ])('%s is money to give back: the order keeps waiting', async (_label, change, outcome) => {
    const { order, deps } = world();
    await deps.orders.saveTaskToken(order.orderId, 'token-1');
    const credit = delivery({ orderId: order.orderId, ...change });

    expect(await handlePaymentEvent(deps, credit, now)).toMatchObject({ outcome, refundRequired: true });
    expect((await deps.orders.get(order.orderId))?.payment.status).toBe('pending');
    expect(deps.callbacks.calls).toEqual([]);
    expect([...deps.events.events.values()][0]?.result).toMatchObject({
      anomaly: true,
      refund: { status: 'required', ...change },
    });
  });

  it('a second full credit for a paid order is a refund to make, not a duplicate', async () => {
    const { order, deps } = world();
    await deps.orders.saveTaskToken(order.orderId, 'token-1');
    await handlePaymentEvent(deps, delivery({ orderId: order.orderId, amountCents: 610 }), now);

    const second = await handlePaymentEvent(deps, delivery({ orderId: order.orderId, amountCents: 610 }), now);
    expect(second).toMatchObject({ outcome: 'duplicate_credit', duplicate: false, refundRequired: true });
    expect(deps.callbacks.calls).toHaveLength(1);
  });

  it('a reported failure fails the waiting order and its wait, with the error the workflow catches', async () => {
    const { order, deps } = world();
    await deps.orders.saveTaskToken(order.orderId, 'token-1');

    const failed = delivery({ orderId: order.orderId, amountCents: 610, type: 'payment.failed' });
    expect(await handlePaymentEvent(deps, failed, now)).toMatchObject({ outcome: 'payment_failed' });
    expect((await deps.orders.get(order.orderId))?.payment.status).toBe('failed');
    expect(deps.callbacks.calls).toEqual([
      { token: 'token-1', outcome: 'fail', detail: expect.objectContaining({ error: ErrorName.PaymentFailed }) },
    ]);
  });

  it("a bank credit quoting a card order's reference is money to give back; the provider's notice of the charge is not", async () => {
    const card = storedOrder({ payment: { method: 'card', status: 'paid', reference: 'RF00X' } }, now);
    const { deps } = world();
    deps.orders.seed(card);

    const credit = await handlePaymentEvent(deps, delivery({ orderId: card.orderId, amountCents: 610 }), now);
    const notice = await handlePaymentEvent(
      deps,
      delivery({ orderId: card.orderId, amountCents: 610, type: 'payment.succeeded' }),
      now,
    );

    expect(credit).toMatchObject({ outcome: 'credit_for_card_order', refundRequired: true });
    expect(notice).toMatchObject({ outcome: 'not_awaiting_credit', refundRequired: false });
    expect((await deps.orders.get(card.orderId))?.payment.status).toBe('paid');
    expect(deps.callbacks.calls).toEqual([]);
  });

  it('an event for an unknown order is recorded as an anomaly; a credit for it is money to give back', async () => {
    const { deps } = world();
    const result = await handlePaymentEvent(deps, delivery({ orderId: 'NOSUCHORDER1', amountCents: 610 }), now);
    expect(result).toMatchObject({ outcome: 'unknown_order', refundRequired: true });
  });
});
