import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderLifecycle, paymentLifecycle } from '../../functions/domain/lifecycles.ts';
import {
  creditBackOf,
  creditPaidOrder,
  debitOf,
  isLowBalance,
  ledgerBalance,
  MOVEMENT_KINDS,
  movementIdOf,
  resellerTotals,
} from '../../functions/domain/reseller-credit.ts';
import { ResellerOrderRequestSchema } from '../../functions/domain/schemas.ts';
import { orderBody, RESELLER_DOCUMENTS } from '../support/fixtures.ts';

const now = new Date('2026-11-22T10:00:00.000Z');

describe('reseller credit (domain)', () => {
  it('prices at the reseller price list, VAT on top as on any order', () => {
    expect(resellerTotals('reseller', 'standard', 1)).toEqual({ netCents: 350, vatCents: 77, grossCents: 427 });
    expect(resellerTotals('reseller', 'premium', 5)).toEqual({ netCents: 14_000, vatCents: 3080, grossCents: 17_080 });
    expect(() => resellerTotals('reseller', 'pro', 6)).toThrow(RangeError);
  });

  it('stores a reseller order paid by credit as it is placed, with no payment deadline', () => {
    const order = creditPaidOrder(
      {
        orderId: '0123456789AB',
        storefrontId: 'reseller-1',
        kind: 'new',
        mailbox: { address: 'a@pec.it', type: 'pro', domainPec: false },
        years: 2,
        holder: { email: 'h@example.com' },
        billing: {},
        requestHash: 'h',
        now,
        paymentWaitSeconds: 3600,
      },
      'reseller',
    );
    expect(order).toMatchObject({
      status: 'activating',
      payment: { method: 'credit', status: 'paid' },
      paidAt: now.toISOString(),
      totals: { netCents: 3500 },
    });
    expect(order.paymentDeadline).toBeUndefined();
    expect(debitOf(order, now)).toEqual({
      movementId: 'debit#0123456789AB',
      kind: 'debit',
      amountCents: 3500,
      at: now.toISOString(),
      orderId: '0123456789AB',
    });
    expect(creditBackOf(order, now).movementId).toBe('credit_back#0123456789AB');
  });

  it('keys one movement per kind and reference, and sums them signed by kind', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom(...MOVEMENT_KINDS), amountCents: fc.nat(100_000) })),
        (movements) => {
          const expected = movements.reduce((sum, m) => sum + (m.kind === 'debit' ? -m.amountCents : m.amountCents), 0);
          expect(ledgerBalance(movements)).toBe(expected);
        },
      ),
    );
    expect(movementIdOf('debit', 'X')).not.toBe(movementIdOf('credit_back', 'X'));
  });

  it('gives back only a closed order paid from credit (the lifecycle tables)', () => {
    expect(orderLifecycle.sourcesOf('credit_back')).toEqual(['failed', 'cancelled']);
    expect(paymentLifecycle.sourcesOf('credit_back')).toEqual(['paid']);
    expect(paymentLifecycle.next('paid', 'credit_back')).toBe('refunded');
    expect(paymentLifecycle.canMove('refunded', 'credit_back')).toBe(false);
  });

  it('tells a low balance only under a threshold that is set', () => {
    expect(isLowBalance({ lowBalanceThresholdCents: 1000 }, 999)).toBe(true);
    expect(isLowBalance({ lowBalanceThresholdCents: 1000 }, 1000)).toBe(false);
    expect(isLowBalance({ lowBalanceThresholdCents: 0 }, 0)).toBe(false);
  });

  it("refuses a reseller's order that names a payment, naming payment", () => {
    const result = ResellerOrderRequestSchema.safeParse({ ...orderBody(), documents: RESELLER_DOCUMENTS });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['payment']);
    const { payment: _payment, ...withoutPayment } = orderBody();
    expect(ResellerOrderRequestSchema.safeParse({ ...withoutPayment, documents: RESELLER_DOCUMENTS }).success).toBe(
      true,
    );
  });
});
