import { describe, expect, it } from 'vitest';
import {
  canPay,
  isClosedOrder,
  Lifecycle,
  MAILBOX_STATUSES,
  mailboxLifecycle,
  ORDER_STATUSES,
  type OrderStatus,
  orderLifecycle,
  PAYMENT_STATUSES,
  type PaymentStatus,
  PUBLIC_MAILBOX_STATUSES,
  paymentLifecycle,
} from '../../functions/domain/lifecycles.ts';
import { isCancellableByStorefront } from '../../functions/domain/order.ts';
import type { PaymentMethod } from '../../functions/domain/payment-methods.ts';
import { PublicMailboxSchema, PublicOrderSchema } from '../../functions/domain/schemas.ts';

const statesOf = (lifecycle: Lifecycle<string, string>) =>
  new Set(lifecycle.transitions.flatMap((move) => [move.from, move.to]));

describe('the lifecycle tables', () => {
  it('use every status they declare, and only those', () => {
    expect(statesOf(orderLifecycle)).toEqual(new Set(ORDER_STATUSES));
    expect(statesOf(paymentLifecycle)).toEqual(new Set(PAYMENT_STATUSES));
    expect(statesOf(mailboxLifecycle)).toEqual(new Set(['absent', ...MAILBOX_STATUSES]));
  });

  it('are the statuses the public views show', () => {
    expect(PublicOrderSchema.shape.status.options).toEqual([...ORDER_STATUSES]);
    // A payment waiting for the holder (3-D Secure) is pending, shown as requires_action with its next action.
    expect(PublicOrderSchema.shape.payment.shape.status.options).toEqual([...PAYMENT_STATUSES, 'requires_action']);
    expect(PublicMailboxSchema.shape.status.options).toEqual([...PUBLIC_MAILBOX_STATUSES]);
    expect(MAILBOX_STATUSES).toEqual(['reserved', ...PUBLIC_MAILBOX_STATUSES]);
  });

  it('reach every status from where each life starts', () => {
    const reachable = (lifecycle: Lifecycle<string, string>, start: string) => {
      const seen = new Set([start]);
      for (let grew = true; grew; ) {
        grew = false;
        for (const { from, to } of lifecycle.transitions) {
          if (seen.has(from) && !seen.has(to)) {
            seen.add(to);
            grew = true;
          }
        }
      }
      return seen;
    };
    expect(reachable(orderLifecycle, 'pending_payment')).toEqual(statesOf(orderLifecycle));
    expect(reachable(paymentLifecycle, 'pending')).toEqual(statesOf(paymentLifecycle));
    expect(reachable(mailboxLifecycle, 'absent')).toEqual(statesOf(mailboxLifecycle));
  });
});

describe('the mailbox lifecycle', () => {
  it('renews a suspended mailbox (within its grace period), making it active again', () => {
    expect(mailboxLifecycle.next('suspended', 'renew')).toBe('active');
  });

  it('renews only a running or suspended mailbox', () => {
    expect(mailboxLifecycle.sourcesOf('renew')).toEqual(['active', 'suspended']);
    for (const status of ['absent', 'reserved', 'activating', 'deleted'] as const) {
      expect(mailboxLifecycle.canMove(status, 'renew'), status).toBe(false);
    }
  });

  it('frees an address (for a new reservation) only when never used, deleted, or held by an expiring reservation', () => {
    expect(mailboxLifecycle.sourcesOf('reserve')).toEqual(['absent', 'deleted', 'reserved']);
  });

  it('suspends only an active mailbox and deletes only a suspended one', () => {
    expect(mailboxLifecycle.sourcesOf('suspend')).toEqual(['active']);
    expect(mailboxLifecycle.sourcesOf('delete')).toEqual(['suspended']);
    expect(mailboxLifecycle.targetOf('delete')).toBe('deleted');
  });

  it('releases only an address not yet a running mailbox', () => {
    expect(mailboxLifecycle.sourcesOf('release')).toEqual(['reserved', 'activating']);
    expect(mailboxLifecycle.targetOf('release')).toBe('absent');
  });

  it('switches automatic renewal without changing the status', () => {
    expect(mailboxLifecycle.next('active', 'set_auto_renew')).toBe('active');
    expect(mailboxLifecycle.next('suspended', 'set_auto_renew')).toBe('suspended');
    expect(mailboxLifecycle.canMove('activating', 'set_auto_renew')).toBe(false);
  });
});

describe('the order and payment lifecycles', () => {
  it('pay an order only while it waits, with its payment still pending', () => {
    expect(canPay({ status: 'pending_payment', payment: { status: 'pending' } })).toBe(true);
    expect(canPay({ status: 'pending_payment', payment: { status: 'failed' } })).toBe(false);
    expect(canPay({ status: 'cancelled', payment: { status: 'pending' } })).toBe(false);
    expect(orderLifecycle.targetOf('pay')).toBe('activating');
    expect(paymentLifecycle.targetOf('pay')).toBe('paid');
  });

  it('never turns money taken into a failed payment', () => {
    expect(paymentLifecycle.sourcesOf('decline')).toEqual(['pending', 'failed']);
    expect(paymentLifecycle.canMove('paid', 'decline')).toBe(false);
    expect(paymentLifecycle.canMove('refund_required', 'decline')).toBe(false);
  });

  it('records a refund only on a closed order, for a payment taken or never learned of, once', () => {
    expect(orderLifecycle.sourcesOf('refund')).toEqual(['failed', 'cancelled']);
    expect(paymentLifecycle.sourcesOf('refund')).toEqual(['paid', 'pending']);
    expect(paymentLifecycle.canMove('refund_required', 'refund')).toBe(false);
    // Recorded, it is given back once: by the provider (card, PayPal), or by an operator (a transfer).
    expect(paymentLifecycle.next('refund_required', 'refunded')).toBe('refunded');
    expect(paymentLifecycle.sourcesOf('refunded')).toEqual(['refund_required']);
    expect(orderLifecycle.sourcesOf('refunded')).toEqual(['failed', 'cancelled']);
    expect(paymentLifecycle.isFinal('refunded')).toBe(true);
  });

  it('closes only an open order, and never a completed one', () => {
    for (const event of ['fail', 'cancel'] as const) {
      expect(orderLifecycle.sourcesOf(event)).toEqual(['pending_payment', 'activating']);
    }
    expect(orderLifecycle.isFinal('completed')).toBe(true);
    expect(ORDER_STATUSES.filter((status) => orderLifecycle.isFinal(status))).toEqual([
      'completed',
      'cancelled',
      'failed',
    ]);
  });

  it('lets a storefront cancel an order only while it waits, with nothing paid nor reported failed', () => {
    expect(orderLifecycle.sourcesOf('storefront_cancel')).toEqual(['pending_payment']);
    expect(orderLifecycle.targetOf('storefront_cancel')).toBe('cancelled');
    expect(paymentLifecycle.sourcesOf('storefront_cancel')).toEqual(['pending']);
    // The payment itself stays pending: nothing was taken.
    expect(paymentLifecycle.changesStatus('storefront_cancel')).toBe(false);
  });

  it('tells which orders their storefront may cancel: a transfer or slip still waiting, never a card being charged', () => {
    const order = (status: OrderStatus, method: PaymentMethod, payment: PaymentStatus = 'pending') => ({
      status,
      payment: { method, status: payment, reference: 'RF' },
    });
    expect(isCancellableByStorefront(order('pending_payment', 'bank_transfer'))).toBe(true);
    expect(isCancellableByStorefront(order('pending_payment', 'postal_slip'))).toBe(true);
    expect(isCancellableByStorefront(order('pending_payment', 'card'))).toBe(false);
    expect(isCancellableByStorefront(order('pending_payment', 'paypal'))).toBe(false);
    expect(isCancellableByStorefront(order('pending_payment', 'bank_transfer', 'failed'))).toBe(false);
    for (const status of ['activating', 'completed', 'cancelled', 'failed'] as const) {
      expect(
        isCancellableByStorefront(order(status, 'bank_transfer', status === 'activating' ? 'paid' : 'pending')),
      ).toBe(false);
    }
  });

  it('calls failed and cancelled orders closed', () => {
    expect(ORDER_STATUSES.filter(isClosedOrder)).toEqual(['cancelled', 'failed']);
  });

  it('keeps the status for the events that wait or work on an order', () => {
    expect(orderLifecycle.next('pending_payment', 'await_payment')).toBe('pending_payment');
    expect(orderLifecycle.next('activating', 'fulfil')).toBe('activating');
    expect(orderLifecycle.canMove('pending_payment', 'fulfil')).toBe(false);
  });
});

describe('Lifecycle', () => {
  const light = new Lifecycle<'red' | 'green', 'go' | 'stop' | 'wait'>([
    { from: 'red', event: 'go', to: 'green' },
    { from: 'green', event: 'stop', to: 'red' },
    { from: 'red', event: 'wait', to: 'red' },
    { from: 'green', event: 'wait', to: 'green' },
  ]);

  it('answers where an event leads, or undefined where it is not allowed', () => {
    expect(light.next('red', 'go')).toBe('green');
    expect(light.next('green', 'go')).toBeUndefined();
    expect(light.canMove('green', 'go')).toBe(false);
  });

  it('tells an event that moves a status from one that only keeps it', () => {
    expect(light.changesStatus('go')).toBe(true);
    expect(light.changesStatus('wait')).toBe(false);
    expect(orderLifecycle.changesStatus('refund')).toBe(false);
    expect(mailboxLifecycle.changesStatus('activate')).toBe(true);
  });

  it('refuses a target that depends on where the event starts', () => {
    expect(light.targetOf('go')).toBe('green');
    expect(() => light.targetOf('wait')).toThrow('wait has no single target status.');
  });

  it('refuses a table that moves one status by one event twice', () => {
    expect(
      () =>
        new Lifecycle([
          { from: 'a', event: 'e', to: 'b' },
          { from: 'a', event: 'e', to: 'c' },
        ]),
    ).toThrow('The lifecycle moves a by e twice.');
  });
});
