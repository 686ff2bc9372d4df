import { mailboxLifecycle } from './lifecycles.ts';
import type { Mailbox } from './mailbox.ts';

/*
 * The renewal policy the scheduled sweep applies, as one table of stages per mailbox term (times are
 * passed in). Both what the sweep does (`sweepAction`) and when it must next look at a mailbox
 * (`nextSweepAt`, the due-day index) are read from the same schedule, so they cannot disagree.
 *
 * Without automatic renewal: reminders 90, 30 and 7 days before expiry.
 * With automatic renewal (card/PayPal): the charge notice 30 days before the charge, the charge 7 days
 * before expiry for the years chosen in the order, and after a decline retries 5, 3 and 1 days
 * before expiry (the last failure switches automatic renewal off, see `closeOrder`). A reseller's
 * mailbox follows the same stages, debiting the reseller's credit (a short credit is the decline).
 * Then for everyone: at expiry the mailbox is suspended (receive-only, renewable for 90 days); after
 * the grace period it is deleted for good.
 */

const DAY_MS = 24 * 3600 * 1000;
export const REMINDER_DAYS = [90, 30, 7] as const;
/** The charge is made this many days before expiry. */
export const CHARGE_DAYS_BEFORE = 7;
/** The holder is told this many days before the charge. */
export const CHARGE_NOTICE_DAYS = 30;
/** A declined charge is retried this many days before expiry. */
export const RETRY_DAYS_BEFORE = [5, 3, 1] as const;
export const GRACE_DAYS = 90;
/** An automatic renewal's years when the mailbox does not say (mailboxes activated before they did). */
export const DEFAULT_RENEWAL_YEARS = 1;

/** Attempt 1 is the charge, 2 to 4 its retries. */
export type ChargeAttempt = 1 | 2 | 3 | 4;
export const LAST_CHARGE_ATTEMPT: ChargeAttempt = 4;

export type Stage =
  | { kind: 'remind'; days: (typeof REMINDER_DAYS)[number] }
  | { kind: 'charge-notice' }
  | { kind: 'charge'; attempt: ChargeAttempt }
  | { kind: 'suspend' }
  | { kind: 'delete' };

export type SweepAction = Stage | { kind: 'none' };

/** The stage table: each stage's name and its offset from expiry, in days (negative: before). */
const STAGES: readonly { stage: Stage; days: number }[] = [
  ...REMINDER_DAYS.map((days) => ({ stage: { kind: 'remind', days } as Stage, days: -days })),
  { stage: { kind: 'charge-notice' }, days: -(CHARGE_DAYS_BEFORE + CHARGE_NOTICE_DAYS) },
  ...([CHARGE_DAYS_BEFORE, ...RETRY_DAYS_BEFORE] as const).map((days, index) => ({
    stage: { kind: 'charge', attempt: (index + 1) as ChargeAttempt } as Stage,
    days: -days,
  })),
  { stage: { kind: 'suspend' }, days: 0 },
  { stage: { kind: 'delete' }, days: GRACE_DAYS },
];

/** A stage's name: `remind-90`, `charge-notice`, `charge-2`, `suspend`, `delete`. */
export function stageName(stage: Stage): string {
  if (stage.kind === 'remind') return `remind-${stage.days}`;
  if (stage.kind === 'charge') return `charge-${stage.attempt}`;
  return stage.kind;
}

const OFFSET_DAYS = new Map(STAGES.map(({ stage, days }) => [stageName(stage), days]));

/** Identifies one stage of one term (expiry date): what the mailbox records in `stagesDone` once it is done. */
export const stageKey = (expiresAt: string, stage: Stage) => `${expiresAt}#${stageName(stage)}`;

/** Whether automatic renewal applies: switched on, with a card or PayPal payment to charge or a reseller's credit. */
export const renewsAutomatically = (mailbox: Pick<Mailbox, 'autoRenew' | 'renewalPayment' | 'renewsFromCredit'>) =>
  mailbox.autoRenew && (mailbox.renewalPayment !== undefined || mailbox.renewsFromCredit === true);

export interface ScheduledStage {
  stage: Stage;
  at: Date;
}

/**
 * The stages still ahead of the mailbox in its current term, in time order: those of its kind
 * (reminders, or notice and charges) after the last stage done for this expiry, then suspension; a
 * suspended mailbox has only its deletion. Empty for a mailbox the sweep has nothing to do with.
 */
export function pendingStages(mailbox: Mailbox): ScheduledStage[] {
  const { expiresAt } = mailbox;
  if (!expiresAt) return [];
  const expiry = Date.parse(expiresAt);
  const at = (name: string) => new Date(expiry + (OFFSET_DAYS.get(name) ?? 0) * DAY_MS);
  const scheduled = (stage: Stage) => ({ stage, at: at(stageName(stage)) });
  if (mailboxLifecycle.canMove(mailbox.status, 'delete')) return [scheduled({ kind: 'delete' })];
  // Reminders and charges are for a running mailbox: one that expiry would suspend.
  if (!mailboxLifecycle.canMove(mailbox.status, 'suspend')) return [];
  const auto = renewsAutomatically(mailbox);
  const ofKind = STAGES.filter(({ stage }) =>
    stage.kind === 'suspend'
      ? true
      : auto
        ? stage.kind === 'charge-notice' || stage.kind === 'charge'
        : stage.kind === 'remind',
  );
  // Progress is a point in time: the latest stage done for this expiry, of either kind (switching
  // automatic renewal on or off does not bring back a stage already passed).
  const prefix = `${expiresAt}#`;
  const doneUntil = Math.max(
    -Infinity,
    ...[...(mailbox.stagesDone ?? [])]
      .filter((key) => key.startsWith(prefix))
      .map((key) => at(key.slice(prefix.length)).getTime()),
  );
  return ofKind.map(({ stage }) => scheduled(stage)).filter((entry) => entry.at.getTime() > doneUntil);
}

/**
 * What the sweep should do with a mailbox at `at`: the latest stage it has reached (a sweep that
 * first sees a mailbox 20 days out sends the 30-day reminder only, and one that sees it after its
 * expiry suspends it without reminding).
 */
export function sweepAction(mailbox: Mailbox, at: Date): SweepAction {
  const reached = pendingStages(mailbox).filter((entry) => entry.at.getTime() <= at.getTime());
  return reached.at(-1)?.stage ?? { kind: 'none' };
}

/**
 * When the sweep must next look at the mailbox: the first stage still ahead. `sweepAction` is
 * `none` strictly before it and names a stage from it on; undefined when nothing is ahead.
 */
export function nextSweepAt(mailbox: Mailbox): Date | undefined {
  return pendingStages(mailbox)[0]?.at;
}

/** When the attempt after `attempt` is made (ISO), or undefined after the last one. */
export function nextChargeAttemptAt(expiresAt: string, attempt: number): string | undefined {
  const days = RETRY_DAYS_BEFORE[attempt - 1];
  return days === undefined ? undefined : new Date(Date.parse(expiresAt) - days * DAY_MS).toISOString();
}

/** Whole days from `at` to the expiry, rounded up (what the emails say). */
export const daysUntil = (expiresAt: string, at: Date) => Math.ceil((Date.parse(expiresAt) - at.getTime()) / DAY_MS);

/** The UTC day (`YYYY-MM-DD`) of an instant. */
export const dayOf = (at: Date) => at.toISOString().slice(0, 10);

/** The day `days` after a `YYYY-MM-DD` day (negative: before). */
export const addDays = (day: string, days: number) =>
  dayOf(new Date(Date.parse(`${day}T00:00:00.000Z`) + days * DAY_MS));

/**
 * A first sweep (no record of an earlier one, or one recorded later than `at`) looks this far back.
 * Writes never file a stage under a day before they happen (see the due-day index), so after the
 * first deployment's backfill nothing is due in the past: this only has to cover a run whose record
 * is missing, and 100 days covers a whole term's reminders.
 */
export const FIRST_SWEEP_LOOKBACK_DAYS = 100;

/**
 * The days whose due partitions a sweep at `at` reads: from the day after the last one recorded as
 * swept through today. A missed day is read by the next run. Today is never recorded as swept (its
 * later items fall due after this run), so the next run reads it again, finding only those.
 */
export function daysToSweep(sweptThrough: string | undefined, at: Date): { days: string[]; completes: string } {
  const today = dayOf(at);
  const from =
    sweptThrough !== undefined && sweptThrough < today
      ? addDays(sweptThrough, 1)
      : addDays(today, -FIRST_SWEEP_LOOKBACK_DAYS);
  const days: string[] = [];
  for (let day = from; day <= today; day = addDays(day, 1)) days.push(day);
  return { days, completes: addDays(today, -1) };
}
