import { describe, expect, it } from 'vitest';
import {
  activationDeadline,
  attentionReason,
  pendingDeadline,
  refundDeadline,
  settlingDeadline,
} from '../../functions/domain/attention.ts';

describe('attention deadlines: when an order needs a person if it has not moved on', () => {
  const at = '2026-11-22T10:00:00.000Z';

  it('a transfer or slip order: 15 minutes after its payment deadline', () => {
    const order = { createdAt: at, paymentDeadline: '2026-12-22T10:00:00.000Z' };
    expect(pendingDeadline({ ...order, payment: { method: 'bank_transfer' } })).toBe('2026-12-22T10:15:00.000Z');
    expect(pendingDeadline({ ...order, payment: { method: 'postal_slip' } })).toBe('2026-12-22T10:15:00.000Z');
  });

  it('a card or PayPal order: 2 hours after it was placed (the charge, or the wait for 3-D Secure)', () => {
    expect(pendingDeadline({ createdAt: at, payment: { method: 'card' } })).toBe('2026-11-22T12:00:00.000Z');
    expect(pendingDeadline({ createdAt: at, payment: { method: 'paypal' } })).toBe('2026-11-22T12:00:00.000Z');
  });

  it('a paid order: active within 10 minutes, or 48 hours on the holder domain', () => {
    expect(activationDeadline(at, false)).toBe('2026-11-22T10:10:00.000Z');
    expect(activationDeadline(at, true)).toBe('2026-11-24T10:00:00.000Z');
  });

  it('a closing or completion begun: done within 15 minutes', () => {
    expect(settlingDeadline(at)).toBe('2026-11-22T10:15:00.000Z');
  });

  it('a refund: at once by hand, within the hour through the provider', () => {
    expect(refundDeadline(at, false)).toBe(at);
    expect(refundDeadline(at, true)).toBe('2026-11-22T11:00:00.000Z');
  });

  it.each([
    ['failed', 'refund_required', 'refund_required'],
    ['cancelled', 'refund_required', 'refund_required'],
    ['pending_payment', 'pending', 'payment_overdue'],
    ['activating', 'paid', 'activation_overdue'],
    ['completed', 'paid', 'completion_unfinished'],
    ['failed', 'failed', 'closing_unfinished'],
    ['cancelled', 'pending', 'closing_unfinished'],
  ])('an order %s with its payment %s needs a person for %s', (status, payment, reason) => {
    expect(attentionReason({ status, payment: { status: payment } })).toBe(reason);
  });
});
