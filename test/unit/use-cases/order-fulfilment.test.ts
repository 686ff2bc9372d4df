import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import type { Order } from '../../../functions/domain/order.ts';
import {
  awaitPayment,
  chargePayment,
  checkDomainDns,
  closeOrder,
  completeOrder,
  extendMailbox,
} from '../../../functions/use-cases/order-fulfilment.ts';
import {
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
  InMemoryPaymentGateway,
  RecordingAuditLog,
  RecordingDocuments,
  RecordingNotifier,
} from '../../support/fakes.ts';
import { storedOrder } from '../../support/fixtures.ts';

/*
 * The workflow's steps against the in-memory ports: what each does to the order, the mailbox, the
 * platform, the holder's inbox and the audit trail, and what it refuses. (The same steps run on the
 * local DynamoDB, with faults, in test/integration/order-fulfilment.test.ts.)
 */

const now = new Date('2025-03-15T09:30:00.000Z');
const later = new Date('2025-03-16T09:30:00.000Z');

function world(order: Order, mailbox?: Partial<Mailbox>) {
  const orders = new InMemoryOrderRepository().seed(order);
  const mailboxes = new InMemoryMailboxRepository();
  if (mailbox) {
    mailboxes.seed({
      address: order.mailbox.address,
      type: 'standard',
      domainPec: false,
      status: 'reserved',
      orderId: order.orderId,
      holderEmail: order.holder.email,
      autoRenew: false,
      passwordSet: false,
      ...mailbox,
    } as Mailbox);
  }
  return {
    orders,
    mailboxes,
    platform: new InMemoryMailPlatform(),
    notifier: new RecordingNotifier(),
    audit: new RecordingAuditLog(),
    documents: new RecordingDocuments(),
    gateway: new InMemoryPaymentGateway(),
  };
}

/** A card order waiting for its charge, paid with `credential`. */
const cardOrder = (credential: { token: string } | { paymentMethod: string }, overrides: Partial<Order> = {}) => {
  const order = storedOrder(
    { payment: { method: 'card', status: 'pending', reference: 'RF00', ...credential }, ...overrides },
    now,
  );
  delete order.paymentDeadline;
  return order;
};

describe('chargePayment', () => {
  it('creates the payment, keeps it on the order, then confirms it once and marks the order paid', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_visa' });
    const deps = world(order, {});

    await chargePayment(deps, order.orderId, now);

    const [paymentId, payment] = [...deps.gateway.payments][0] ?? [];
    expect(payment?.request).toMatchObject({
      orderId: order.orderId,
      idempotencyKey: `order-${order.orderId}`,
      amountCents: 610,
      method: 'card',
    });
    expect(deps.gateway.calls).toEqual(['createPayment', 'confirmPayment']);
    expect(await deps.orders.get(order.orderId)).toMatchObject({
      status: 'activating',
      payment: { status: 'paid' },
      providerPaymentId: paymentId,
      chargeId: paymentId,
    });
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['payment-charged']);
  });

  it('a retry asks what became of the kept payment instead of confirming it again', async () => {
    const order = cardOrder({ token: 'tok_visa' }, { providerPaymentId: 'pi_lost' });
    const deps = world(order, {});
    deps.gateway.seed('pi_lost', order.orderId, { status: 'succeeded', chargeId: 'pi_lost' });

    await chargePayment(deps, order.orderId, now);

    expect(deps.gateway.calls).toEqual(['findPayment']);
    expect(await deps.orders.get(order.orderId)).toMatchObject({ payment: { status: 'paid' }, chargeId: 'pi_lost' });
  });

  it('confirms a kept payment that was never confirmed (the attempt before stopped in between)', async () => {
    const order = cardOrder({ token: 'tok_visa' }, { providerPaymentId: 'pi_kept' });
    const deps = world(order, {});
    deps.gateway.seed('pi_kept', order.orderId);

    await chargePayment(deps, order.orderId, now);

    expect(deps.gateway.calls).toEqual(['findPayment', 'confirmPayment']);
    expect((await deps.orders.get(order.orderId))?.chargeId).toBe('pi_kept');
  });

  it('a declined card is a PaymentDeclinedError, audited with its reason', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_chargeDeclined' });
    const deps = world(order, {});

    await expect(chargePayment(deps, order.orderId, now)).rejects.toMatchObject({
      name: ErrorName.PaymentDeclinedError,
    });
    expect((await deps.orders.get(order.orderId))?.payment.status).toBe('pending');
    expect([...deps.audit.entries.values()]).toEqual([
      expect.objectContaining({ event: 'payment-declined', detail: { reason: 'card_declined' } }),
    ]);
  });

  it('cancels a payment that waits for 3-D Secure (no wait for it yet): declined, and it can take no money later', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_authenticationRequired' });
    const deps = world(order, {});

    await expect(chargePayment(deps, order.orderId, now)).rejects.toMatchObject({
      name: ErrorName.PaymentDeclinedError,
      message: expect.stringContaining('authentication_required'),
    });
    expect(deps.gateway.calls).toEqual(['createPayment', 'confirmPayment', 'cancelPayment']);
    const [payment] = [...deps.gateway.payments.values()];
    expect(payment?.result).toEqual({ status: 'declined', reason: 'abandoned' });
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['payment-requires-action', 'payment-declined']);
  });

  it('a payment the holder completed before it could be cancelled is paid', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_authenticationRequired' }, { providerPaymentId: 'pi_3ds' });
    const deps = world(order, {});
    deps.gateway.seed('pi_3ds', order.orderId, {
      status: 'requires_action',
      nextAction: { type: 'use_stripe_sdk', clientSecret: 'secret' },
    });
    const cancel = deps.gateway.cancelPayment.bind(deps.gateway);
    deps.gateway.cancelPayment = async (paymentId) => {
      deps.gateway.authenticate(paymentId); // the holder was faster
      return cancel(paymentId);
    };

    await chargePayment(deps, order.orderId, now);

    expect(await deps.orders.get(order.orderId)).toMatchObject({ payment: { status: 'paid' }, chargeId: 'pi_3ds' });
  });

  it('charges nothing for an order without a card or PayPal payment', async () => {
    const order = cardOrder({ token: 'tok_visa' });
    const deps = world({ ...order, payment: { method: 'card', status: 'pending', reference: 'RF00' } }, {});

    await expect(chargePayment(deps, order.orderId, now)).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
    expect(deps.gateway.calls).toEqual([]);
  });
});

describe('awaitPayment', () => {
  it('emails the payment instructions once and keeps the task token', async () => {
    const order = storedOrder({}, now);
    const deps = world(order);

    await awaitPayment(deps, order.orderId, 'token-1', now);
    await awaitPayment(deps, order.orderId, 'token-2', later);

    expect(deps.notifier.of('paymentInstructions')).toEqual([
      expect.objectContaining({ orderId: order.orderId, method: 'bank_transfer', grossCents: 610 }),
    ]);
    expect(await deps.orders.getTaskToken(order.orderId)).toBe('token-2');
  });

  it('sends no instructions for a card order', async () => {
    const order = storedOrder({ payment: { method: 'card', status: 'pending', reference: 'RF00', token: 'tok_visa' } });
    const deps = world(order);

    await awaitPayment(deps, order.orderId, 'token-1', now);

    expect(deps.notifier.sent).toEqual([]);
    expect(await deps.orders.getTaskToken(order.orderId)).toBe('token-1');
  });

  it('refuses an order that no longer waits for its payment', async () => {
    const order = storedOrder({ status: 'cancelled' });
    const deps = world(order);

    await expect(awaitPayment(deps, order.orderId, 'token-1', now)).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
    expect(await deps.orders.getTaskToken(order.orderId)).toBeUndefined();
  });
});

describe('checkDomainDns', () => {
  const settings = { providerMxHosts: ['mx.pec-provider.it'], deadlineSeconds: 7 * 24 * 3600 };
  const domainOrder = (): Order => {
    const order = storedOrder({ status: 'activating', paidAt: now.toISOString() }, now);
    return {
      ...order,
      mailbox: { ...order.mailbox, address: `info@${order.orderId.toLowerCase()}.it`, domainPec: true },
    };
  };
  const withMx = (deps: ReturnType<typeof world>, hosts: string[]) => ({
    ...deps,
    dns: { mx: async () => hosts.map((exchange, priority) => ({ exchange, priority })) },
  });

  it('is ready once the domain MX points at the provider, showing the mailbox as activating', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, {}), ['mx.pec-provider.it']);

    expect(await checkDomainDns(deps, settings, order.orderId, now)).toEqual({ ready: true });
    expect((await deps.mailboxes.get(order.mailbox.address))?.status).toBe('activating');
    expect(deps.notifier.sent).toEqual([]);
  });

  it('emails the DNS instructions once while the records are missing', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, {}), ['mx.elsewhere.example']);

    expect(await checkDomainDns(deps, settings, order.orderId, now)).toEqual({ ready: false });
    expect(await checkDomainDns(deps, settings, order.orderId, later)).toEqual({ ready: false });

    expect(deps.notifier.of('domainDnsInstructions')).toEqual([
      expect.objectContaining({ mxHosts: ['mx.pec-provider.it'], deadline: '2025-03-22T09:30:00.000Z' }),
    ]);
  });

  it('gives up after the deadline', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, {}), []);

    await expect(
      checkDomainDns(deps, settings, order.orderId, new Date('2025-03-22T09:30:00.001Z')),
    ).rejects.toMatchObject({ name: ErrorName.DomainNotConfiguredError });
  });

  it('refuses when the order no longer holds the address', async () => {
    const order = domainOrder();
    const deps = withMx(world(order, { orderId: 'SOMEONE-ELSE' }), ['mx.pec-provider.it']);

    await expect(checkDomainDns(deps, settings, order.orderId, now)).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
  });
});

describe('extendMailbox', () => {
  const renewal = (overrides: Partial<Order> = {}) =>
    storedOrder({ kind: 'renewal', status: 'activating', years: 2, paidAt: now.toISOString(), ...overrides }, now);

  it('moves the expiry on by the years paid, confirms once and audits', async () => {
    const order = renewal();
    const deps = world(order, { status: 'active', orderId: 'FIRST', expiresAt: '2025-06-01T00:00:00.000Z' });

    await extendMailbox(deps, order.orderId, now);
    await extendMailbox(deps, order.orderId, later);

    const mailbox = await deps.mailboxes.get(order.mailbox.address);
    expect(mailbox?.expiresAt).toBe('2027-06-01T00:00:00.000Z');
    expect(mailbox?.renewalOrders).toEqual(new Set([order.orderId]));
    expect(deps.notifier.of('renewalConfirmed')).toEqual([
      expect.objectContaining({ orderId: order.orderId, expiresAt: '2027-06-01T00:00:00.000Z' }),
    ]);
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['mailbox-renewed']);
  });

  it('reactivates a suspended mailbox and lets it send again', async () => {
    const order = renewal({ years: 1 });
    const deps = world(order, { status: 'suspended', orderId: 'FIRST', expiresAt: '2025-03-01T00:00:00.000Z' });
    deps.platform.accounts.set(order.mailbox.address, { mailboxGb: 1, archiveGb: 0, receiveOnly: true });

    await extendMailbox(deps, order.orderId, now);

    const mailbox = await deps.mailboxes.get(order.mailbox.address);
    expect(mailbox?.status).toBe('active');
    // Expired already: a year from the renewal, not from the old expiry.
    expect(mailbox?.expiresAt).toBe('2026-03-15T09:30:00.000Z');
    expect(deps.platform.accounts.get(order.mailbox.address)?.receiveOnly).toBe(false);
  });

  it('refuses a mailbox that can no longer be renewed', async () => {
    const order = renewal();
    const deps = world(order, { status: 'deleted', orderId: 'FIRST', expiresAt: '2024-01-01T00:00:00.000Z' });

    await expect(extendMailbox(deps, order.orderId, now)).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
    expect(deps.notifier.sent).toEqual([]);
  });
});

describe('completeOrder', () => {
  it('completes an activating order, audits it (with an activation ProvisionMailbox could not audit) and files its document', async () => {
    const order = storedOrder(
      { status: 'activating', paidAt: now.toISOString(), unauditedActivationAt: now.toISOString() },
      now,
    );
    const deps = world(order, { status: 'active', activatedAt: now.toISOString() });

    await completeOrder(deps, order.orderId, later);

    expect((await deps.orders.get(order.orderId))?.status).toBe('completed');
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['mailbox-activated', 'order-completed']);
    expect(deps.documents.documents.get(order.orderId)?.completedAt).toBe(later.toISOString());
  });

  it('writes no activation entry of its own when ProvisionMailbox wrote it: no audit I/O twice', async () => {
    const order = storedOrder({ status: 'activating', paidAt: now.toISOString() }, now);
    const deps = world(order, { status: 'active', activatedAt: now.toISOString() });

    await completeOrder(deps, order.orderId, later);

    expect(deps.audit.eventsOf(order.orderId)).toEqual(['order-completed']);
  });

  it('refuses an order that was closed', async () => {
    const order = storedOrder({ status: 'failed' }, now);
    const deps = world(order);

    await expect(completeOrder(deps, order.orderId, later)).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
    expect(deps.documents.documents.size).toBe(0);
  });
});

describe('closeOrder', () => {
  it('fails a declined order, frees the address and tells the holder once', async () => {
    const order = storedOrder({}, now);
    const deps = world(order, { holdUntil: later.toISOString() });

    await closeOrder(deps, order.orderId, 'failed', ErrorName.PaymentDeclinedError, now);
    await closeOrder(deps, order.orderId, 'failed', ErrorName.PaymentDeclinedError, later);

    const closed = await deps.orders.get(order.orderId);
    expect(closed).toMatchObject({ status: 'failed', payment: { status: 'failed' } });
    expect(await deps.mailboxes.get(order.mailbox.address)).toBeUndefined();
    expect(deps.notifier.of('orderFailed')).toEqual([
      expect.objectContaining({ paymentDeclined: true, refundCents: undefined }),
    ]);
    expect(deps.audit.eventsOf(order.orderId)).toEqual(['order-failed']);
  });

  it('records the refund of a paid order that is cancelled', async () => {
    const order = storedOrder(
      {
        status: 'activating',
        paidAt: now.toISOString(),
        chargeId: 'ch_1',
        payment: { method: 'bank_transfer', status: 'paid', reference: 'RF00' },
      },
      now,
    );
    const deps = world(order, { status: 'reserved' });

    await closeOrder(deps, order.orderId, 'cancelled', 'States.Timeout', later);

    const closed = await deps.orders.get(order.orderId);
    expect(closed).toMatchObject({ status: 'cancelled', payment: { status: 'refund_required' } });
    expect(closed?.refund).toMatchObject({ amountCents: 610, chargeId: 'ch_1' });
    expect(deps.notifier.of('orderCancelled')).toEqual([expect.objectContaining({ refundCents: 610 })]);
  });

  it('refunds a card charge the order never learned of, found by the payment kept on the order', async () => {
    const order = cardOrder({ token: 'tok_visa' }, { providerPaymentId: 'pi_lost' });
    const deps = world(order, {});
    deps.gateway.seed('pi_lost', order.orderId, { status: 'succeeded', chargeId: 'pi_lost' });

    await closeOrder(deps, order.orderId, 'failed', 'States.Timeout', later);

    expect((await deps.orders.get(order.orderId))?.refund).toMatchObject({ chargeId: 'pi_lost', amountCents: 610 });
  });

  it('cancels a kept payment still waiting for the holder, so it takes no money after the order closed', async () => {
    const order = cardOrder({ paymentMethod: 'pm_card_authenticationRequired' }, { providerPaymentId: 'pi_open' });
    const deps = world(order, {});
    deps.gateway.seed('pi_open', order.orderId, {
      status: 'requires_action',
      nextAction: { type: 'use_stripe_sdk', clientSecret: 'secret' },
    });

    await closeOrder(deps, order.orderId, 'failed', 'States.Timeout', later);

    expect(deps.gateway.payments.get('pi_open')?.result).toEqual({ status: 'declined', reason: 'abandoned' });
    const closed = await deps.orders.get(order.orderId);
    expect(closed).toMatchObject({ status: 'failed', payment: { status: 'pending' } });
    expect(closed?.refund).toBeUndefined();
  });

  it('asks the provider nothing for a card order that never kept a payment (nothing can have been taken)', async () => {
    const order = cardOrder({ token: 'tok_visa' });
    const deps = world(order, {});

    await closeOrder(deps, order.orderId, 'failed', 'States.Timeout', later);

    expect(deps.gateway.calls).toEqual([]);
    expect((await deps.orders.get(order.orderId))?.status).toBe('failed');
  });

  it('leaves a completed order alone', async () => {
    const order = storedOrder({ status: 'completed' }, now);
    const deps = world(order, { status: 'active' });

    await closeOrder(deps, order.orderId, 'failed', 'States.Timeout', later);

    expect((await deps.orders.get(order.orderId))?.status).toBe('completed');
    expect((await deps.mailboxes.get(order.mailbox.address))?.status).toBe('active');
    expect(deps.notifier.sent).toEqual([]);
  });
});
