import { type MailboxType, planFor } from './catalog.ts';

/*
 * What a renewal buys for the new period: a plan (the current one, or another: an upgrade or a
 * downgrade) and extra GB of mailbox and archive space on top of it, priced per year by the catalog.
 * These rules decide what a renewal may ask for; the use case reads the space in use only when the
 * new period would have less room than the current one.
 */

/** Extra space bought on top of a plan, in whole GB, for every year of a period. */
export interface ExtraGb {
  mailbox: number;
  archive: number;
}

export const NO_EXTRA_GB: ExtraGb = Object.freeze({ mailbox: 0, archive: 0 });

/** The most extra GB of either kind one renewal may buy. */
export const MAX_EXTRA_GB = 100;

/** One GB of quota, as the mail platform counts it (GiB). */
export const BYTES_PER_GB = 1024 ** 3;

/** The space a mailbox has: its plan's, plus the extra GB bought. */
export interface Quota {
  mailboxGb: number;
  archiveGb: number;
}

/** What the mail platform reports as used, in bytes. */
export interface SpaceInUse {
  mailboxBytes: number;
  archiveBytes: number;
}

/** A plan and its extra GB: what a mailbox has for a period, or what a renewal buys for the next. */
export interface PlanChoice {
  type: MailboxType;
  extraGb: ExtraGb;
}

/** Whether any extra GB is bought. */
export const hasExtraGb = (extraGb: ExtraGb | undefined): extraGb is ExtraGb =>
  extraGb !== undefined && (extraGb.mailbox > 0 || extraGb.archive > 0);

/** The quota of a plan with its extra GB. */
export function quotaOf({ type, extraGb }: PlanChoice): Quota {
  const plan = planFor(type);
  return { mailboxGb: plan.mailboxGb + extraGb.mailbox, archiveGb: plan.archiveGb + extraGb.archive };
}

/** Whether a plan includes a legal archive, the only way to buy extra archive space. */
export const hasArchive = (type: MailboxType): boolean => planFor(type).archiveGb > 0;

/**
 * What a renewal buys, from what was asked and what the mailbox has: the plan asked for or the
 * current one; the extra GB asked for, or the current ones kept (but not extra archive space on a
 * plan without an archive: a downgrade to Standard drops the archive, its extra GB with it).
 */
export function renewalChoice(
  current: { type: MailboxType; extraGb?: ExtraGb | undefined },
  asked: { type?: MailboxType | undefined; extraGb?: ExtraGb | undefined },
): PlanChoice {
  const type = asked.type ?? current.type;
  if (asked.extraGb) return { type, extraGb: { ...asked.extraGb } };
  const kept = current.extraGb ?? NO_EXTRA_GB;
  return { type, extraGb: { mailbox: kept.mailbox, archive: hasArchive(type) ? kept.archive : 0 } };
}

/** Why a renewal cannot buy what it asks for: a stable code, the field it is about, and why. */
export interface PlanRefusal {
  code: 'plan_not_available' | 'archive_not_available' | 'archive_in_use' | 'space_in_use_exceeds_plan';
  path: string;
  message: string;
}

/**
 * Why a mailbox cannot have `next` for its new period, whatever it holds; undefined when it can.
 * PEC on the holder's own domain is Standard only and not expandable; extra archive space needs a
 * plan with an archive.
 */
export function choiceRefusal(mailbox: { domainPec: boolean }, next: PlanChoice): PlanRefusal | undefined {
  if (mailbox.domainPec && next.type !== 'standard') {
    return {
      code: 'plan_not_available',
      path: 'type',
      message: "PEC on the holder's own domain is sold as Standard only: the plan cannot change.",
    };
  }
  if (mailbox.domainPec && hasExtraGb(next.extraGb)) {
    return {
      code: 'plan_not_available',
      path: 'extraGb',
      message: "PEC on the holder's own domain is not expandable: no extra GB can be bought.",
    };
  }
  if (next.extraGb.archive > 0 && !hasArchive(next.type)) {
    return {
      code: 'archive_not_available',
      path: 'extraGb.archive',
      message: `The ${next.type} plan has no archive: extra archive GB are sold only with Pro and Premium.`,
    };
  }
  return undefined;
}

/**
 * Whether the new period has less room than the current one (a downgrade, or fewer extra GB), so
 * that the space in use must be checked before the renewal is taken.
 */
export function shrinks(current: PlanChoice, next: PlanChoice): boolean {
  const now = quotaOf(current);
  const then = quotaOf(next);
  return then.mailboxGb < now.mailboxGb || then.archiveGb < now.archiveGb;
}

const gb = (bytes: number) => (bytes / BYTES_PER_GB).toFixed(2).replace(/\.?0+$/, '');

/**
 * Why the space in use does not fit the new period; undefined when it fits. A plan without an
 * archive (Standard) drops the archive: refused while the archive holds anything. Otherwise each
 * space must hold what is in it now (more can be bought as extra GB); the refusal names the plan
 * when it changes, else the extra GB given up.
 */
export function usageRefusal(current: PlanChoice, next: PlanChoice, usage: SpaceInUse): PlanRefusal | undefined {
  const quota = quotaOf(next);
  // The field to change: the plan when it is what changed, otherwise the extra GB given up.
  const pathFor = (space: keyof ExtraGb) => (next.type !== current.type ? 'type' : `extraGb.${space}`);
  if (quota.archiveGb === 0 && usage.archiveBytes > 0) {
    return {
      code: 'archive_in_use',
      path: 'type',
      message: `The ${next.type} plan has no archive, and the archive holds ${gb(usage.archiveBytes)} GB that the downgrade would drop: empty the archive first, or keep a plan with an archive.`,
    };
  }
  if (usage.mailboxBytes > quota.mailboxGb * BYTES_PER_GB) {
    return {
      code: 'space_in_use_exceeds_plan',
      path: pathFor('mailbox'),
      message: `The mailbox uses ${gb(usage.mailboxBytes)} GB, more than the ${quota.mailboxGb} GB of the ${next.type} plan with its extra GB: free some space or buy extra mailbox GB.`,
    };
  }
  if (usage.archiveBytes > quota.archiveGb * BYTES_PER_GB) {
    return {
      code: 'space_in_use_exceeds_plan',
      path: pathFor('archive'),
      message: `The archive uses ${gb(usage.archiveBytes)} GB, more than the ${quota.archiveGb} GB of the ${next.type} plan with its extra GB: buy extra archive GB or keep a larger plan.`,
    };
  }
  return undefined;
}
