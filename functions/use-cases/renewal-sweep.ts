import { isClosedOrder } from '../domain/lifecycles.ts';
import type { Mailbox } from '../domain/mailbox.ts';
import {
  CHARGE_DAYS_BEFORE,
  DEFAULT_RENEWAL_YEARS,
  daysToSweep,
  daysUntil,
  type Stage,
  stageKey,
  sweepAction,
} from '../domain/renewal-policy.ts';
import { orderTotals } from '../domain/totals.ts';
import { BusinessCount, type BusinessMetrics } from './business-metrics.ts';
import type { DomainOutcome } from './domain-renewal-sweep.ts';
import type {
  AuditLog,
  DueCursor,
  MailboxRepository,
  MailPlatform,
  Notifier,
  OrderRepository,
  SweepStateRepository,
  WorkflowStarter,
} from './ports.ts';
import { autoRenewalOrderId, placeAutoRenewal } from './renewals.ts';
import { type CreditRenewalDeps, chargeFromCredit, noticeCreditRenewal } from './reseller-renewals.ts';

/*
 * The renewal sweep, as the sweep workflow (workflows/renewal-sweep.ts) runs it:
 * 1. NextPage plans the days to read (from the last day swept through today), lists a page of
 *    what is due in their due-day partitions, and tallies the page swept before;
 * 2. a Map runs sweepMailbox on each address of the page, a bounded number at a time; one that
 *    fails is counted and never stops the others;
 * 3. once the partitions are read, NextPage records the days before today as swept (only when
 *    nothing failed: a failed mailbox stays in its partition, and the next run reads it again).
 * Every action is a conditional write first (or an order named after what it pays for), so two
 * sweeps of the same day, concurrent or repeated, never do the same thing twice.
 */

/** What one mailbox's sweep did (the Map's item result). */
export type MailboxOutcome =
  | 'reminder'
  | 'charge-notice'
  | 'auto-renewal'
  | 'retry'
  | 'suspended'
  | 'deleted'
  | 'nothing'
  | 'failed'
  // A reseller's certified domain (SweepDomain, `domain-renewal-sweep.ts`).
  | DomainOutcome;

/** The sweep's counts: the contract's fields, the failures, and the read capacity units it used. */
export interface SweepTotals {
  reminders: number;
  chargeNotices: number;
  autoRenewals: number;
  retries: number;
  suspended: number;
  deleted: number;
  failed: number;
  /** Reseller domains renewed from credit, short of credit (emailed), lapsed, and purged of their mailboxes. */
  domainRenewals: number;
  domainRenewalsShort: number;
  domainLapses: number;
  domainPurges: number;
  /** Items listed from the due-day index. */
  listed: number;
  readUnits: number;
}

const COUNTED: Partial<Record<MailboxOutcome, keyof SweepTotals>> = {
  reminder: 'reminders',
  'charge-notice': 'chargeNotices',
  'auto-renewal': 'autoRenewals',
  retry: 'retries',
  suspended: 'suspended',
  deleted: 'deleted',
  failed: 'failed',
  'domain-renewal': 'domainRenewals',
  'domain-renewal-short': 'domainRenewalsShort',
  'domain-lapsed': 'domainLapses',
  'domain-purged': 'domainPurges',
};

export const emptyTotals = (): SweepTotals => ({
  reminders: 0,
  chargeNotices: 0,
  autoRenewals: 0,
  retries: 0,
  suspended: 0,
  deleted: 0,
  failed: 0,
  domainRenewals: 0,
  domainRenewalsShort: 0,
  domainLapses: 0,
  domainPurges: 0,
  listed: 0,
  readUnits: 0,
});

/** The state the sweep workflow carries from one NextPage to the next. */
export interface SweepState {
  at: string;
  days?: string[];
  /** The day recorded as swept once every partition is read. */
  completes?: string;
  /** Where the next page starts; null once the last page is listed. */
  cursor?: DueCursor | null;
  totals?: SweepTotals;
  /** The outcomes of the page swept just before. */
  results?: { outcome: MailboxOutcome; readUnits?: number }[];
}

export interface SweepPage extends Required<Omit<SweepState, 'results' | 'cursor'>> {
  cursor: DueCursor | null;
  addresses: string[];
  /** True once every partition is read and the page before tallied: the totals are final. */
  done: boolean;
}

/** How many addresses one page (one Map) holds: small enough for a Step Functions payload. */
export const SWEEP_PAGE_SIZE = 40;

/** The workflow's NextPage step (see above). `readUnits` is what this step read, added to the totals. */
export async function nextSweepPage(
  deps: {
    mailboxes: Pick<MailboxRepository, 'listDue'>;
    sweepState: SweepStateRepository;
    metrics?: BusinessMetrics;
  },
  state: SweepState,
  measure: () => number,
): Promise<SweepPage> {
  const at = new Date(state.at);
  const plan =
    state.days && state.completes
      ? { days: state.days, completes: state.completes }
      : daysToSweep(await deps.sweepState.sweptThrough(), at);
  // A run started before a count existed carries totals without it: counted from zero.
  const totals = { ...emptyTotals(), ...state.totals };
  for (const { outcome, readUnits } of state.results ?? []) {
    const field = COUNTED[outcome];
    if (field) totals[field]++;
    if (outcome === 'failed') deps.metrics?.count(BusinessCount.SweepFailures);
    totals.readUnits += readUnits ?? 0;
  }
  const finished = { ...plan, at: state.at, cursor: null, addresses: [], done: true };
  if (state.cursor === null) {
    if (totals.failed === 0) await deps.sweepState.recordSwept(plan.completes);
    totals.readUnits += measure();
    return { ...finished, totals };
  }
  const page = await deps.mailboxes.listDue({
    days: plan.days,
    until: state.at,
    limit: SWEEP_PAGE_SIZE,
    ...(state.cursor ? { after: state.cursor } : {}),
  });
  totals.listed += page.addresses.length;
  if (page.addresses.length === 0 && !page.next) {
    if (totals.failed === 0) await deps.sweepState.recordSwept(plan.completes);
    totals.readUnits += measure();
    return { ...finished, totals };
  }
  totals.readUnits += measure();
  return { ...plan, at: state.at, cursor: page.next ?? null, addresses: page.addresses, done: false, totals };
}

export interface SweepDeps extends Pick<CreditRenewalDeps, 'resellers' | 'resellerNotifier'> {
  mailboxes: Pick<MailboxRepository, 'get' | 'markStageDone' | 'reschedule' | 'suspend' | 'markDeleted'> &
    CreditRenewalDeps['mailboxes'];
  orders: OrderRepository;
  workflow: WorkflowStarter;
  platform: Pick<MailPlatform, 'setReceiveOnly' | 'deleteMailbox'>;
  notifier: Pick<Notifier, 'expiryReminder' | 'chargeNotice'>;
  audit: AuditLog;
  paymentWaitSeconds: number;
  renewalLink: (storefrontId: string, address: string) => string;
}

/** The workflow's per-item step: what the renewal policy says for this mailbox now, done once. */
export async function sweepMailbox(deps: SweepDeps, address: string, at: Date): Promise<MailboxOutcome> {
  const mailbox = await deps.mailboxes.get(address);
  if (!mailbox?.expiresAt) return 'nothing';
  const action = sweepAction(mailbox, at);
  if (action.kind === 'none') {
    // The index named a stage that is not (or no longer) due: the schedule it holds is stale.
    await deps.mailboxes.reschedule(address);
    return 'nothing';
  }
  return act(deps, mailbox as Mailbox & { expiresAt: string }, action, at);
}

async function act(
  deps: SweepDeps,
  mailbox: Mailbox & { expiresAt: string },
  stage: Stage,
  at: Date,
): Promise<MailboxOutcome> {
  const { address, expiresAt } = mailbox;
  const audit = (event: string, detail?: Record<string, unknown>) =>
    // One entry per event and expiry: a repeated sweep rewrites it, a later expiry gets its own.
    deps.audit.record({
      orderId: mailbox.orderId,
      event,
      ref: expiresAt,
      at,
      detail: { address, expiresAt, ...detail },
    });
  const markDone = () => deps.mailboxes.markStageDone(address, expiresAt, stageKey(expiresAt, stage));

  switch (stage.kind) {
    case 'remind': {
      // The link first: a storefront without one fails the item before the stage is claimed, never after.
      const renewalLink = deps.renewalLink(mailbox.storefrontId, address);
      if (!(await markDone())) return 'nothing';
      await deps.notifier.expiryReminder({
        to: mailbox.holderEmail,
        address,
        expiresAt,
        daysLeft: daysUntil(expiresAt, at),
        renewalLink,
      });
      return 'reminder';
    }
    case 'charge-notice': {
      // A reseller's mailbox: the reseller is told of the debit of its credit (reseller-renewals.ts).
      if (mailbox.renewsFromCredit) return noticeCreditRenewal(deps, mailbox, { markDone });
      if (!(await markDone())) return 'nothing';
      const years = mailbox.renewalYears ?? DEFAULT_RENEWAL_YEARS;
      await deps.notifier.chargeNotice({
        to: mailbox.holderEmail,
        address,
        expiresAt,
        chargeAt: new Date(Date.parse(expiresAt) - CHARGE_DAYS_BEFORE * 24 * 3600 * 1000).toISOString(),
        years,
        grossCents: orderTotals(mailbox.type, years).grossCents,
      });
      return 'charge-notice';
    }
    case 'charge': {
      // A retry follows a failed attempt only: one paid, or still running, is left to finish. A term
      // first seen at a retry's stage (no earlier attempt) gets its first charge there.
      const previous =
        stage.attempt > 1
          ? await deps.orders.get(autoRenewalOrderId(address, expiresAt, stage.attempt - 1))
          : undefined;
      if (previous && !isClosedOrder(previous.status)) {
        await markDone();
        return 'nothing';
      }
      // A reseller's mailbox: a debit of the reseller's credit (reseller-renewals.ts).
      if (mailbox.renewsFromCredit) return chargeFromCredit(deps, mailbox, stage.attempt, at, { markDone, audit });
      // The order is named after (address, expiry, attempt): placing it again places nothing.
      const { orderId, created } = await placeAutoRenewal(deps, mailbox, at, stage.attempt);
      await markDone();
      if (!created) return 'nothing';
      await audit(previous ? `auto-renewal-retry-${stage.attempt}` : 'auto-renewal-started', {
        renewalOrderId: orderId,
      });
      return previous ? 'retry' : 'auto-renewal';
    }
    case 'suspend':
      return (await suspendMailbox(deps, mailbox, audit)) ? 'suspended' : 'nothing';
    case 'delete':
      return (await deleteMailbox(deps, mailbox, audit)) ? 'deleted' : 'nothing';
  }
}

type Audit = (event: string, detail?: Record<string, unknown>) => Promise<void>;
type EndDeps = {
  platform: Pick<MailPlatform, 'setReceiveOnly' | 'deleteMailbox'>;
  mailboxes: Pick<MailboxRepository, 'suspend' | 'markDeleted'>;
};

/**
 * Suspends a mailbox whose term ended (its own, or its certified domain's): the platform first, so a
 * mailbox shown suspended is receive-only for sure; audited once (true) when this call suspended it.
 */
export async function suspendMailbox(deps: EndDeps, mailbox: Mailbox & { expiresAt: string }, audit: Audit) {
  await deps.platform.setReceiveOnly(mailbox.address, true);
  if (!(await deps.mailboxes.suspend(mailbox.address, mailbox.expiresAt))) return false;
  await audit('mailbox-suspended');
  return true;
}

/** Deletes a mailbox 90 days after its term ended: the platform first; audited once (true) when this call deleted it. */
export async function deleteMailbox(deps: EndDeps, mailbox: Mailbox & { expiresAt: string }, audit: Audit) {
  await deps.platform.deleteMailbox(mailbox.address);
  if (!(await deps.mailboxes.markDeleted(mailbox.address, mailbox.expiresAt))) return false;
  await audit('mailbox-deleted');
  return true;
}
