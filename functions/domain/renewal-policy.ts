import { mailboxLifecycle } from './lifecycles.ts';
import type { Mailbox } from './mailbox.ts';

/*
 * The renewal policy the scheduled sweep applies (times are passed in):
 * - reminders 90, 30 and 7 days before expiry, each at most once per expiry date, for mailboxes
 *   that do not renew automatically;
 * - automatic renewals (card/PayPal) charged 7 days before expiry, for one year;
 * - at expiry the mailbox is suspended: receive-only, renewable, for a 90-day grace period;
 * - after the grace period it is deleted for good and the address can be ordered again.
 */

const DAY_MS = 24 * 3600 * 1000;
export const REMINDER_DAYS = [90, 30, 7] as const;
export const AUTO_RENEW_DAYS_BEFORE = 7;
export const AUTO_RENEW_YEARS = 1;
export const GRACE_DAYS = 90;

export type SweepAction =
  | { kind: 'remind'; stage: (typeof REMINDER_DAYS)[number] }
  | { kind: 'auto-renew' }
  | { kind: 'suspend' }
  | { kind: 'delete' }
  | { kind: 'none' };

/** What the sweep should do with a mailbox at `at`. */
export function sweepAction(mailbox: Mailbox, at: Date): SweepAction {
  if (!mailbox.expiresAt) return { kind: 'none' };
  const untilExpiry = Date.parse(mailbox.expiresAt) - at.getTime();
  if (mailboxLifecycle.canMove(mailbox.status, 'delete')) {
    return untilExpiry <= -GRACE_DAYS * DAY_MS ? { kind: 'delete' } : { kind: 'none' };
  }
  // Reminders and automatic renewals are for a running mailbox: one that expiry would suspend.
  if (!mailboxLifecycle.canMove(mailbox.status, 'suspend')) return { kind: 'none' };
  if (untilExpiry <= 0) return { kind: 'suspend' };
  if (mailbox.autoRenew && mailbox.renewalPayment) {
    return untilExpiry <= AUTO_RENEW_DAYS_BEFORE * DAY_MS ? { kind: 'auto-renew' } : { kind: 'none' };
  }
  // The tightest stage reached: a sweep that first sees a mailbox 20 days out sends the 30-day reminder only.
  const stage = [...REMINDER_DAYS].reverse().find((days) => untilExpiry <= days * DAY_MS);
  if (stage === undefined || mailbox.remindersSent?.has(reminderKey(mailbox.expiresAt, stage))) return { kind: 'none' };
  return { kind: 'remind', stage };
}

/** Identifies one reminder: the stage of one expiry date (a renewal starts the stages again). */
export const reminderKey = (expiresAt: string, stage: number) => `${expiresAt}#${stage}`;

/** The months whose mailboxes the sweep must look at: from two years back (grace periods) to the reminder horizon. */
export function sweepMonths(at: Date): string[] {
  const months: string[] = [];
  const cursor = new Date(Date.UTC(at.getUTCFullYear() - 2, at.getUTCMonth(), 1));
  const horizon = new Date(at.getTime() + (REMINDER_DAYS[0] + 31) * DAY_MS);
  while (cursor <= horizon) {
    months.push(cursor.toISOString().slice(0, 7));
    cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return months;
}
