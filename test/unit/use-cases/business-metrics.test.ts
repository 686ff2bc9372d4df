import { describe, expect, it } from 'vitest';
import { ErrorName } from '../../../functions/domain/errors.ts';
import type { Mailbox } from '../../../functions/domain/mailbox.ts';
import type { Order } from '../../../functions/domain/order.ts';
import { BusinessCount } from '../../../functions/use-cases/business-metrics.ts';
import { chargePayment, closeOrder, completeOrder } from '../../../functions/use-cases/order-fulfilment.ts';
import {
  fakeRenewalLink,
  InMemoryMailboxRepository,
  InMemoryOrderRepository,
  InMemoryPaymentGateway,
  RecordingAuditLog,
  RecordingDocuments,
  RecordingMetrics,
  RecordingNotifier,
} from '../../support/fakes.ts';
import { mailboxOf, storedOrder } from '../../support/fixtures.ts';

/*
 * What the business watches is counted once per transition, where it happens: a step that runs
 * again (a retry) finds the transition made and counts nothing more.
 */

const now = new Date('2025-03-15T09:30:00.000Z');
const later = new Date('2025-03-15T09:34:00.000Z');

function world(order: Order, mailbox?: Partial<Mailbox>) {
  const mailboxes = new InMemoryMailboxRepository();
  if (mailbox) {
    mailboxes.seed(mailboxOf(order, { status: 'active', ...mailbox }));
  }
  return {
    orders: new InMemoryOrderRepository().seed(order),
    mailboxes,
    gateway: new InMemoryPaymentGateway(),
    notifier: new RecordingNotifier(),
    audit: new RecordingAuditLog(),
    documents: new RecordingDocuments(),
    metrics: new RecordingMetrics(),
    renewalLink: fakeRenewalLink,
  };
}

const cardOrder = (paymentMethod: string, overrides: Partial<Order> = {}) => {
  const order = storedOrder(
    { payment: { method: 'card', status: 'pending', reference: 'RF00', paymentMethod }, ...overrides },
    now,
  );
  delete order.paymentDeadline;
  return order;
};

describe('counting the order transitions', () => {
  it('a charge counts one paid order, however often the step runs', async () => {
    const deps = world(cardOrder('pm_card_visa'), {});
    const { orderId } = [...deps.orders.orders.values()][0] as Order;

    await chargePayment(deps, orderId, now);
    await chargePayment(deps, orderId, now);

    expect(deps.metrics.names).toEqual([BusinessCount.OrdersPaid]);
  });

  it('a renewal charged counts as a renewal charged too; a declined one as a renewal declined', async () => {
    const charged = world(cardOrder('pm_card_visa', { kind: 'renewal' }), {});
    await chargePayment(charged, [...charged.orders.orders.keys()][0] as string, now);
    expect(charged.metrics.names).toEqual([BusinessCount.OrdersPaid, BusinessCount.RenewalsCharged]);

    const declined = world(cardOrder('pm_card_chargeDeclined', { kind: 'renewal' }), {});
    await expect(chargePayment(declined, [...declined.orders.orders.keys()][0] as string, now)).rejects.toMatchObject({
      name: ErrorName.PaymentDeclinedError,
    });
    expect(declined.metrics.names).toEqual([BusinessCount.RenewalsDeclined]);
  });

  it.each([
    [false, 'generic'],
    [true, 'ownDomain'],
  ] as const)(
    'a completed new order counts one activation and its time from the payment (own domain: %s)',
    async (domainPec, promise) => {
      const order = storedOrder({ status: 'activating', paidAt: now.toISOString() }, now);
      order.mailbox = { ...order.mailbox, domainPec };
      const deps = world(order, {});

      await completeOrder(deps, order.orderId, later);
      await completeOrder(deps, order.orderId, later);

      expect(deps.metrics.names).toEqual([BusinessCount.OrdersActivated]);
      expect(deps.metrics.latencies).toEqual([{ milliseconds: 4 * 60 * 1000, promise }]);
    },
  );

  it('a completed renewal is no activation', async () => {
    const order = storedOrder({ status: 'activating', kind: 'renewal', paidAt: now.toISOString() }, now);
    const deps = world(order, {});

    await completeOrder(deps, order.orderId, later);

    expect(deps.metrics.counts).toEqual([]);
    expect(deps.metrics.latencies).toEqual([]);
  });

  it.each([
    ['failed', BusinessCount.OrdersFailed],
    ['cancelled', BusinessCount.OrdersCancelled],
  ] as const)('closing an order %s counts it once', async (outcome, metric) => {
    const order = storedOrder({}, now);
    const deps = world(order, { status: 'reserved' });

    await closeOrder(deps, order.orderId, outcome, ErrorName.PaymentDeclinedError, now);
    await closeOrder(deps, order.orderId, outcome, ErrorName.PaymentDeclinedError, later);

    expect(deps.metrics.names).toEqual([metric]);
  });
});
