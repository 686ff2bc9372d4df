import { InsufficientCreditError } from '../domain/errors.ts';
import type { Mailbox } from '../domain/mailbox.ts';
import type { Order } from '../domain/order.ts';
import {
  CHARGE_DAYS_BEFORE,
  type ChargeAttempt,
  DEFAULT_RENEWAL_YEARS,
  nextChargeAttemptAt,
} from '../domain/renewal-policy.ts';
import { creditPaidOrder, type Reseller, resellerTotals } from '../domain/reseller-credit.ts';
import { fingerprint } from './order-intake.ts';
import type { CreditRenewalNotice, MailboxRepository, ResellerNotifier } from './ports.ts';
import type { MailboxOutcome } from './renewal-sweep.ts';
import { autoRenewalOrderId } from './renewals.ts';
import { placeDebited, type ResellerIntakeDeps } from './reseller-orders.ts';

/*
 * The automatic renewal of a reseller's mailbox (`renewsFromCredit`), as the renewal sweep runs it at
 * the same stages as a card's: the charge notice goes to the reseller 37 days before expiry, the
 * charge 7 days before is a debit of the reseller's credit at its price list, through the same
 * transaction as a manual reseller renewal (the order, its debit, the balance never below zero). The
 * order is named after (address, expiry, attempt) like a card's (`autoRenewalOrderId`), so a repeated
 * or concurrent sweep finds it and debits nothing. A credit that does not cover it is the decline:
 * nothing written, the reseller emailed, retried 5, 3 and 1 days before expiry; after the last one
 * automatic renewal is switched off and the mailbox is suspended at expiry like any other.
 */

export interface CreditRenewalDeps extends ResellerIntakeDeps {
  mailboxes: ResellerIntakeDeps['mailboxes'] & Pick<MailboxRepository, 'markStageDone' | 'setAutoRenew'>;
  resellerNotifier: ResellerIntakeDeps['resellerNotifier'] &
    Pick<ResellerNotifier, 'creditRenewalNotice' | 'creditRenewalDeclined'>;
}

type Term = Mailbox & { expiresAt: string };

async function resellerOf(deps: Pick<CreditRenewalDeps, 'resellers'>, mailbox: Mailbox): Promise<Reseller> {
  const reseller = await deps.resellers.get(mailbox.storefrontId);
  if (!reseller)
    throw new Error(`${mailbox.address} renews from the credit of ${mailbox.storefrontId}, not a reseller`);
  return reseller;
}

/** What the reseller is told about a term's renewal: the debit at its price list, and when. */
function noticeOf(reseller: Reseller, mailbox: Term): CreditRenewalNotice {
  const years = mailbox.renewalYears ?? DEFAULT_RENEWAL_YEARS;
  return {
    to: reseller.email,
    name: reseller.name,
    address: mailbox.address,
    expiresAt: mailbox.expiresAt,
    chargeAt: new Date(Date.parse(mailbox.expiresAt) - CHARGE_DAYS_BEFORE * 24 * 3600 * 1000).toISOString(),
    years,
    amountCents: resellerTotals(reseller.priceList, mailbox.type, years).netCents,
  };
}

/** The charge-notice stage of a reseller's mailbox: the reseller is told what will be debited, once per term. */
export async function noticeCreditRenewal(
  deps: Pick<CreditRenewalDeps, 'resellers' | 'resellerNotifier'>,
  mailbox: Term,
  { markDone }: Pick<StageSteps, 'markDone'>,
): Promise<MailboxOutcome> {
  const reseller = await resellerOf(deps, mailbox);
  if (!(await markDone())) return 'nothing';
  await deps.resellerNotifier.creditRenewalNotice(noticeOf(reseller, mailbox));
  return 'charge-notice';
}

/** What the sweep gives a stage: its claim (true once per term and stage) and its audit entry (one per event and term). */
export interface StageSteps {
  markDone: () => Promise<boolean>;
  audit: (event: string, detail?: Record<string, unknown>) => Promise<void>;
}

/**
 * A charge stage of a reseller's mailbox (attempt 1, or a retry 2 to 4; a term whose previous
 * attempt is still running never gets here, the sweep leaves it to finish):
 * 1. the renewal order (same plan, the years chosen, at the reseller's price list) is placed with
 *    its debit in one transaction, then its workflow extends the mailbox as a manual renewal's does;
 * 2. a short credit writes nothing: the stage is claimed, the reseller emailed with the next attempt
 *    (after the last, automatic renewal is switched off), and the attempt audited.
 */
export async function chargeFromCredit(
  deps: CreditRenewalDeps,
  mailbox: Term,
  attempt: ChargeAttempt,
  at: Date,
  { markDone, audit }: StageSteps,
): Promise<MailboxOutcome> {
  const { address, expiresAt } = mailbox;
  const reseller = await resellerOf(deps, mailbox);
  const order = creditRenewalOrder(deps, reseller, mailbox, attempt, at);
  const outcome = attempt > 1 ? 'retry' : 'auto-renewal';
  try {
    const { replayed } = await placeDebited(deps, reseller, order, order.requestHash, { now: at });
    await markDone();
    if (replayed) return 'nothing';
    await audit(attempt > 1 ? `auto-renewal-retry-${attempt}` : 'auto-renewal-started', {
      renewalOrderId: order.orderId,
      debitedCents: order.totals.netCents,
    });
    return outcome;
  } catch (error) {
    if (!(error instanceof InsufficientCreditError)) throw error;
    // The decline: claimed once per attempt, so a repeated sweep neither emails nor audits it twice.
    if (!(await markDone())) return 'nothing';
    const nextAttemptAt = nextChargeAttemptAt(expiresAt, attempt);
    if (!nextAttemptAt) await deps.mailboxes.setAutoRenew(address, false, mailbox.storefrontId);
    await audit(`auto-renewal-declined-${attempt}`, {
      reason: 'insufficient_credit',
      neededCents: error.neededCents,
      balanceCents: error.balanceCents,
      ...(nextAttemptAt ? { nextAttemptAt } : { autoRenew: false }),
    });
    await deps.resellerNotifier.creditRenewalDeclined({
      ...noticeOf(reseller, mailbox),
      balanceCents: error.balanceCents,
      ...(nextAttemptAt ? { nextAttemptAt } : {}),
    });
    return outcome;
  }
}

/** The renewal order of one attempt: named after (address, expiry, attempt), paid from credit as it is placed. */
function creditRenewalOrder(
  deps: Pick<CreditRenewalDeps, 'paymentWaitSeconds'>,
  reseller: Reseller,
  mailbox: Term,
  attempt: ChargeAttempt,
  now: Date,
): Order {
  const { address, expiresAt } = mailbox;
  return {
    ...creditPaidOrder(
      {
        orderId: autoRenewalOrderId(address, expiresAt, attempt),
        storefrontId: mailbox.storefrontId,
        kind: 'renewal',
        mailbox: { address, type: mailbox.type, domainPec: mailbox.domainPec },
        years: mailbox.renewalYears ?? DEFAULT_RENEWAL_YEARS,
        holder: { email: mailbox.holderEmail },
        billing: mailbox.billing ?? {},
        requestHash: fingerprint({ autoRenew: address, expiresAt, attempt }),
        now,
        paymentWaitSeconds: deps.paymentWaitSeconds,
      },
      reseller.priceList,
    ),
    autoRenewal: { expiresAt, attempt },
  };
}
