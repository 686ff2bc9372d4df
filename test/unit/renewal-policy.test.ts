import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Mailbox } from '../../functions/domain/mailbox.ts';
import {
  daysToSweep,
  FIRST_SWEEP_LOOKBACK_DAYS,
  nextChargeAttemptAt,
  nextSweepAt,
  pendingStages,
  type Stage,
  stageKey,
  stageName,
  sweepAction,
} from '../../functions/domain/renewal-policy.ts';
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
const auto = (overrides: Partial<Mailbox> = {}) =>
  mailbox({ autoRenew: true, renewalPayment: savedCard, ...overrides });
const at = (offsetDays: number) => new Date(expiry + offsetDays * DAY);
const done = (...stages: Stage[]) => new Set(stages.map((stage) => stageKey(expiresAt, stage)));

describe('renewal policy', () => {
  it.each([
    [-120, { kind: 'none' }],
    [-90, { kind: 'remind', days: 90 }],
    [-45, { kind: 'remind', days: 90 }],
    [-30, { kind: 'remind', days: 30 }],
    [-20, { kind: 'remind', days: 30 }],
    [-7, { kind: 'remind', days: 7 }],
    [-1, { kind: 'remind', days: 7 }],
    [0, { kind: 'suspend' }],
    [10, { kind: 'suspend' }],
  ])('a manually renewed mailbox %i days from expiry: %o', (days, action) => {
    expect(sweepAction(mailbox(), at(days))).toEqual(action);
  });

  it('does each stage once per expiry date, and never one before a stage done', () => {
    const reminded = mailbox({ stagesDone: done({ kind: 'remind', days: 30 }) });
    expect(sweepAction(reminded, at(-20))).toEqual({ kind: 'none' });
    // The 90-day reminder, never sent, is not sent after the 30-day one.
    expect(pendingStages(reminded).map((entry) => stageName(entry.stage))).toEqual(['remind-7', 'suspend']);
    expect(sweepAction(reminded, at(-7))).toEqual({ kind: 'remind', days: 7 });
    // A renewal moves the expiry: the stages start again for the new date.
    const renewed = { ...reminded, expiresAt: '2028-06-15T10:00:00.000Z' };
    expect(sweepAction(renewed, new Date('2028-05-20T10:00:00.000Z'))).toEqual({ kind: 'remind', days: 30 });
  });

  it('with automatic renewal: the notice 30 days before the charge, the charge 7 days before expiry, retries 5, 3 and 1 days before', () => {
    expect(sweepAction(auto(), at(-38))).toEqual({ kind: 'none' });
    expect(sweepAction(auto(), at(-37))).toEqual({ kind: 'charge-notice' });
    const noticed = auto({ stagesDone: done({ kind: 'charge-notice' }) });
    expect(sweepAction(noticed, at(-8))).toEqual({ kind: 'none' });
    expect(sweepAction(noticed, at(-7))).toEqual({ kind: 'charge', attempt: 1 });
    const charged = auto({ stagesDone: done({ kind: 'charge-notice' }, { kind: 'charge', attempt: 1 }) });
    expect(nextSweepAt(charged)).toEqual(at(-5));
    expect(sweepAction(charged, at(-5))).toEqual({ kind: 'charge', attempt: 2 });
    const retried = auto({ stagesDone: done({ kind: 'charge', attempt: 2 }) });
    expect(sweepAction(retried, at(-3))).toEqual({ kind: 'charge', attempt: 3 });
    expect(sweepAction(auto({ stagesDone: done({ kind: 'charge', attempt: 3 }) }), at(-1))).toEqual({
      kind: 'charge',
      attempt: 4,
    });
    expect(sweepAction(auto({ stagesDone: done({ kind: 'charge', attempt: 4 }) }), at(0))).toEqual({ kind: 'suspend' });
    // No reminders while it renews by itself; without a payment to charge, it is reminded instead.
    expect(sweepAction(mailbox({ autoRenew: true }), at(-7))).toEqual({ kind: 'remind', days: 7 });
  });

  it('after the last attempt, automatic renewal off: no reminder for stages already passed, suspension at expiry', () => {
    const gaveUp = mailbox({ stagesDone: done({ kind: 'charge', attempt: 4 }) });
    expect(sweepAction(gaveUp, at(-0.5))).toEqual({ kind: 'none' });
    expect(nextSweepAt(gaveUp)).toEqual(at(0));
  });

  it('names when the next attempt comes after a declined one', () => {
    expect(nextChargeAttemptAt(expiresAt, 1)).toBe(at(-5).toISOString());
    expect(nextChargeAttemptAt(expiresAt, 3)).toBe(at(-1).toISOString());
    expect(nextChargeAttemptAt(expiresAt, 4)).toBeUndefined();
  });

  it('deletes a suspended mailbox after its 90-day grace period, and nothing else', () => {
    expect(sweepAction(mailbox({ status: 'suspended' }), at(89))).toEqual({ kind: 'none' });
    expect(sweepAction(mailbox({ status: 'suspended' }), at(90))).toEqual({ kind: 'delete' });
    for (const status of ['reserved', 'activating', 'deleted'] as const) {
      expect(sweepAction(mailbox({ status }), at(200))).toEqual({ kind: 'none' });
      expect(nextSweepAt(mailbox({ status }))).toBeUndefined();
    }
  });

  const stages: Stage[] = [
    { kind: 'remind', days: 90 },
    { kind: 'remind', days: 30 },
    { kind: 'remind', days: 7 },
    { kind: 'charge-notice' },
    { kind: 'charge', attempt: 1 },
    { kind: 'charge', attempt: 2 },
    { kind: 'charge', attempt: 3 },
    { kind: 'charge', attempt: 4 },
  ];
  const anyMailbox = fc
    .record({
      status: fc.constantFrom('active', 'suspended', 'activating', 'deleted', 'reserved'),
      autoRenew: fc.boolean(),
      payment: fc.boolean(),
      // Expiries at any millisecond of a few years, to catch day and rounding edges.
      expiry: fc.integer({ min: Date.parse('2026-01-01'), max: Date.parse('2030-01-01') }),
      done: fc.subarray(stages),
      otherTermDone: fc.boolean(),
    })
    .map(({ status, autoRenew, payment, expiry: time, done: stagesDone, otherTermDone }) => {
      const term = new Date(time).toISOString();
      return mailbox({
        status,
        autoRenew,
        expiresAt: term,
        ...(payment ? { renewalPayment: savedCard } : {}),
        stagesDone: new Set([
          ...stagesDone.map((stage) => stageKey(term, stage)),
          // Stages of an earlier term never count for this one.
          ...(otherTermDone ? [stageKey('2020-01-01T00:00:00.000Z', { kind: 'suspend' })] : []),
        ]),
      });
    });

  it('property: the sweep has nothing to do strictly before nextSweepAt, and something at it', () => {
    fc.assert(
      fc.property(anyMailbox, fc.integer({ min: 1, max: 400 * DAY }), (box, before) => {
        const due = nextSweepAt(box);
        if (!due) {
          // Nothing ahead: nothing to do, ever.
          expect(sweepAction(box, new Date(Date.parse(box.expiresAt as string) + 1000 * DAY))).toEqual({
            kind: 'none',
          });
          return;
        }
        expect(sweepAction(box, new Date(due.getTime() - before))).toEqual({ kind: 'none' });
        expect(sweepAction(box, new Date(due.getTime() - 1))).toEqual({ kind: 'none' });
        expect(sweepAction(box, due).kind).not.toBe('none');
      }),
      { numRuns: 2000 },
    );
  });

  it('property: doing what the sweep says moves nextSweepAt later (the sweep never loops on a mailbox)', () => {
    fc.assert(
      fc.property(anyMailbox, (box) => {
        const due = nextSweepAt(box);
        if (!due) return;
        const action = sweepAction(box, due);
        if (action.kind === 'none' || action.kind === 'suspend' || action.kind === 'delete') return;
        const after = {
          ...box,
          stagesDone: new Set([...(box.stagesDone ?? []), stageKey(box.expiresAt as string, action)]),
        };
        expect(nextSweepAt(after)?.getTime()).toBeGreaterThan(due.getTime());
      }),
    );
  });
});

describe('the days a sweep reads', () => {
  const noon = new Date('2027-03-10T12:00:00.000Z');

  it('from the day after the last one swept through today; records the day before today', () => {
    expect(daysToSweep('2027-03-09', noon)).toEqual({ days: ['2027-03-10'], completes: '2027-03-09' });
    // A day without a sweep: the next run catches it up.
    expect(daysToSweep('2027-03-07', noon)).toEqual({
      days: ['2027-03-08', '2027-03-09', '2027-03-10'],
      completes: '2027-03-09',
    });
  });

  it('a first sweep (or one whose record is from later) looks back far enough for a whole term', () => {
    for (const record of [undefined, '2027-03-10', '2028-01-01']) {
      const { days } = daysToSweep(record, noon);
      expect(days).toHaveLength(FIRST_SWEEP_LOOKBACK_DAYS + 1);
      expect(days.at(-1)).toBe('2027-03-10');
      expect(new Set(days).size).toBe(days.length);
    }
  });
});
