import { describe, expect, it } from 'vitest';
import type { Mailbox } from '../../functions/domain/mailbox.ts';
import { reminderKey, sweepAction, sweepMonths } from '../../functions/domain/renewal-policy.ts';
import { savedCard } from '../support/fixtures.ts';

const DAY = 24 * 3600 * 1000;
const expiresAt = '2027-06-15T10:00:00.000Z';
const expiry = Date.parse(expiresAt);
const mailbox = (overrides: Partial<Mailbox> = {}): Mailbox => ({
  address: 'mario@pec.it',
  status: 'active',
  storefrontId: 'storefront-1',
  orderId: 'ORDER0000001',
  orderedAt: '2026-06-15T10:00:00.000Z',
  type: 'standard',
  domainPec: false,
  holderEmail: 'mario@example.com',
  expiresAt,
  autoRenew: false,
  passwordSet: true,
  ...overrides,
});
const at = (offsetDays: number) => new Date(expiry + offsetDays * DAY);

describe('renewal policy', () => {
  it.each([
    [-120, { kind: 'none' }],
    [-90, { kind: 'remind', stage: 90 }],
    [-45, { kind: 'remind', stage: 90 }],
    [-30, { kind: 'remind', stage: 30 }],
    [-20, { kind: 'remind', stage: 30 }],
    [-7, { kind: 'remind', stage: 7 }],
    [-1, { kind: 'remind', stage: 7 }],
    [0, { kind: 'suspend' }],
    [10, { kind: 'suspend' }],
  ])('a manually renewed mailbox %i days from expiry: %o', (days, action) => {
    expect(sweepAction(mailbox(), at(days))).toEqual(action);
  });

  it('sends each reminder stage once per expiry date', () => {
    const reminded = mailbox({ remindersSent: new Set([reminderKey(expiresAt, 30)]) });
    expect(sweepAction(reminded, at(-20))).toEqual({ kind: 'none' });
    expect(sweepAction(reminded, at(-7))).toEqual({ kind: 'remind', stage: 7 });
    // A renewal moves the expiry: the stages start again for the new date.
    expect(
      sweepAction({ ...reminded, expiresAt: '2028-06-15T10:00:00.000Z' }, new Date('2028-05-20T10:00:00.000Z')),
    ).toEqual({
      kind: 'remind',
      stage: 30,
    });
  });

  it('charges automatic renewals 7 days ahead, and does not remind them', () => {
    const auto = mailbox({ autoRenew: true, renewalPayment: savedCard });
    expect(sweepAction(auto, at(-60))).toEqual({ kind: 'none' });
    expect(sweepAction(auto, at(-8))).toEqual({ kind: 'none' });
    expect(sweepAction(auto, at(-7))).toEqual({ kind: 'auto-renew' });
    expect(sweepAction(auto, at(0))).toEqual({ kind: 'suspend' });
    // Automatic renewal without a token to charge falls back to reminders.
    expect(sweepAction(mailbox({ autoRenew: true }), at(-7))).toEqual({ kind: 'remind', stage: 7 });
  });

  it('deletes a suspended mailbox after its 90-day grace period, and nothing else', () => {
    expect(sweepAction(mailbox({ status: 'suspended' }), at(89))).toEqual({ kind: 'none' });
    expect(sweepAction(mailbox({ status: 'suspended' }), at(90))).toEqual({ kind: 'delete' });
    for (const status of ['reserved', 'activating', 'deleted'] as const) {
      expect(sweepAction(mailbox({ status }), at(200))).toEqual({ kind: 'none' });
    }
  });

  it('looks at the months from two years back to the reminder horizon', () => {
    const months = sweepMonths(new Date('2027-01-10T00:00:00Z'));
    expect(months[0]).toBe('2025-01');
    expect(months).toContain('2027-04');
    expect(months.at(-1)).toBe('2027-05');
    expect(new Set(months).size).toBe(months.length);
  });
});
