import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import type { Order } from '../../../functions/domain/order.ts';
import {
  awaitPayment,
  checkDomainDns,
  closeOrder,
  completeOrder,
  extendMailbox,
  sendOrderConfirmation,
} from '../../../functions/use-cases/order-fulfilment.ts';
import type { ChargeResult, PaymentGateway } from '../../../functions/use-cases/ports.ts';
import {
  InMemoryMailboxRepository,
  InMemoryMailPlatform,
  InMemoryOrderRepository,
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

/** A gateway that knows the charges given to it, by idempotency key. */
const gatewayKnowing = (charges: Record<string, ChargeResult> = {}): PaymentGateway => ({
  charge: async () => {
    throw new Error('no charge expected');
  },
  findCharge: async (key) => charges[key],
});

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
    gateway: gatewayKnowing(),
  };
}

describe('awaitPayment', () => {
  it('emails the payment instructions, the order confirmation of a transfer, once and keeps the task token', async () => {
    const order = storedOrder({ consents: { termsVersion: '2026-01', acceptedAt: now.toISOString() } }, now);
    const deps = world(order);

    await awaitPayment(deps, order.orderId, 'token-1', now);
    await awaitPayment(deps, order.orderId, 'token-2', later);

    expect(deps.notifier.of('paymentInstructions')).toEqual([
      {
        to: 'mario.rossi@example.com',
        orderId: order.orderId,
        kind: 'new',
        address: order.mailbox.address,
        type: 'standard',
        domainPec: false,
        years: 1,
        totals: { netCents: 500, vatCents: 110, grossCents: 610 },
        terms: { version: '2026-01', url: 'https://pec.example.com/condizioni-generali/2026-01' },
        method: 'bank_transfer',
        reference: order.payment.reference,
        deadline: order.paymentDeadline,
      },
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
    const order = storedOrder({ status: 'failed' });
    const deps = world(order);

    await expect(awaitPayment(deps, order.orderId, 'token-1', now)).rejects.toMatchObject({
      name: ErrorName.ProvisioningImpossibleError,
    });
    expect(await deps.orders.getTaskToken(order.orderId)).toBeUndefined();
  });

  it('sends a cancelled order to its closing as cancelled (OrderCancelledError), sending nothing', async () => {
    const order = storedOrder({ status: 'cancelled' });
    const deps = world(order);

    await expect(awaitPayment(deps, order.orderId, 'token-1', now)).rejects.toMatchObject({
      name: ErrorName.OrderCancelledError,
    });
    expect(deps.notifier.sent).toEqual([]);
    expect(await deps.orders.getTaskToken(order.orderId)).toBeUndefined();
  });
});

describe('sendOrderConfirmation', () => {
  const cardOrder = (overrides: Partial<Order> = {}) =>
    storedOrder(
      {
        payment: { method: 'card', status: 'pending', reference: 'RF00', token: 'tok_visa' },
        consents: { termsVersion: '2026-01', acceptedAt: now.toISOString() },
        ...overrides,
      },
      now,
    );

  it('confirms a new card order once: what was ordered, the total, the conditions accepted', async () => {
    const order = cardOrder({ years: 2, totals: { netCents: 1000, vatCents: 220, grossCents: 1220 } });
    const deps = world(order);

    await sendOrderConfirmation(deps, order.orderId, now);
    await sendOrderConfirmation(deps, order.orderId, later);

    expect(deps.notifier.sent).toEqual([
      {
        email: 'orderConfirmation',
        input: {
          to: 'mario.rossi@example.com',
          orderId: order.orderId,
          kind: 'new',
          address: order.mailbox.address,
          type: 'standard',
          domainPec: false,
          years: 2,
          totals: { netCents: 1000, vatCents: 220, grossCents: 1220 },
          terms: { version: '2026-01', url: 'https://pec.example.com/condizioni-generali/2026-01' },
          method: 'card',
        },
      },
    ]);
    expect((await deps.orders.get(order.orderId))?.orderConfirmationSentAt).toBe(now.toISOString());
  });

  it('names conditions that are no longer in force without a link to today’s', async () => {
    const order = cardOrder({ consents: { termsVersion: '2025-01', acceptedAt: now.toISOString() } });
    const deps = world(order);

    await sendOrderConfirmation(deps, order.orderId, now);

    expect(deps.notifier.of('orderConfirmation')[0]?.terms).toEqual({ version: '2025-01' });
  });

  it('sends nothing for a renewal (confirmed when it completes) nor for a transfer (its instructions confirm it)', async () => {
    const renewal = cardOrder({ kind: 'renewal', consents: undefined });
    const transfer = storedOrder({}, now);
    const deps = world(renewal);
    await deps.orders.create(transfer);

    await sendOrderConfirmation(deps, renewal.orderId, now);
    await sendOrderConfirmation(deps, transfer.orderId, now);

    expect(deps.notifier.sent).toEqual([]);
  });

  it('gives the claim back when the email is refused, so that a retry sends it', async () => {
    const order = cardOrder();
    const deps = world(order);
    const refused = Object.assign(new Error('rejected'), { name: 'MessageRejected' });
    const notifier = { ...deps.notifier, orderConfirmation: async () => Promise.reject(refused) };

    await expect(sendOrderConfirmation({ ...deps, notifier }, order.orderId, now)).rejects.toBe(refused);
    await sendOrderConfirmation(deps, order.orderId, later);

    expect(deps.notifier.of('orderConfirmation')).toHaveLength(1);
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

  it('refunds a card charge the order never learned of, found under its idempotency key', async () => {
    const order = storedOrder(
      { payment: { method: 'card', status: 'pending', reference: 'RF00', token: 'tok_visa' } },
      now,
    );
    const deps = {
      ...world(order, {}),
      gateway: gatewayKnowing({ [`order-${order.orderId}`]: { status: 'succeeded', chargeId: 'ch_lost' } }),
    };

    await closeOrder(deps, order.orderId, 'failed', 'States.Timeout', later);

    expect((await deps.orders.get(order.orderId))?.refund).toMatchObject({ chargeId: 'ch_lost', amountCents: 610 });
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
