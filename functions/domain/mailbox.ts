import { type MailboxStatus, mailboxLifecycle } from './lifecycles.ts';
import type { SavedPaymentMethod } from './payment-methods.ts';
import type { ExtraGb } from './renewal-plan.ts';
import type { PublicMailbox } from './schemas.ts';

/** A mailbox as the system keeps it, from the reservation of its address on (see `mailboxLifecycle`). */
export interface Mailbox extends Omit<PublicMailbox, 'status' | 'activatedAt' | 'expiresAt'> {
  status: MailboxStatus;
  /** The storefront (API key id) whose order created the mailbox: no other storefront sees it. */
  storefrontId: string;
  /** The order that reserved or last created this mailbox. */
  orderId: string;
  /**
   * When that order was placed (the address reserved for it): a storefront's mailboxes are listed
   * newest first by this instant, which never changes while the mailbox lives.
   */
  orderedAt: string;
  /** For a reservation: after this instant an unfinished order no longer holds the address. */
  holdUntil?: string;
  holderEmail: string;
  activatedAt?: string;
  expiresAt?: string;
  /**
   * What automatic renewals charge, off-session: the payment method the provider saved with the
   * last card or PayPal payment for this mailbox (its customer and PaymentMethod).
   */
  renewalPayment?: SavedPaymentMethod;
  /**
   * A reseller's mailbox (its order was paid from credit): its automatic renewals are debited from
   * the credit of the reseller that owns it (`storefrontId`), at the reseller's price list.
   */
  renewsFromCredit?: true;
  /**
   * Where the electronic invoice goes (`recipientCode` or `pecAddress`): the first order's, kept at
   * activation, so that every renewal (manual or automatic) is invoiced the same way unless it says otherwise.
   */
  billing?: Record<string, unknown>;
  /** Extra GB bought on top of the plan for the current period (by the last renewal); none when absent. */
  extraGb?: ExtraGb;
  /** Renewal orders already applied, so a retried extension never adds the years twice. */
  renewalOrders?: Set<string>;
  /**
   * The renewal stages done (`<expiresAt>#<stage>`: `remind-90`, `charge-notice`, `charge-1`...,
   * see `domain/renewal-policy.ts`), so each is done once per term.
   */
  stagesDone?: Set<string>;
  /** The years an automatic renewal renews for: those chosen in the order (1 to 5). */
  renewalYears?: number;
  /** Set when email to `holderEmail` hard-bounced (SES): no more email reaches the holder there. */
  contact?: MailboxContact;
}

/** What is known of the holder's reference email as a way to reach the holder. */
export interface MailboxContact {
  undeliverable: true;
  /** When the first hard bounce was reported (ISO 8601). */
  since: string;
  reason: string;
}

/**
 * The personal data a deleted mailbox's item no longer keeps (README, "Retention"): the holder's
 * reference email and what was learnt about it. What invoicing needs (holder, fiscal code, billing)
 * stays on the orders, kept 10 years by the bookkeeping rule.
 */
export const ERASED_AT_DELETION = ['holderEmail', 'contact'] as const satisfies readonly (keyof Mailbox)[];

/** The value an erased reference email is replaced with (the field stays, the address is gone). */
export const ERASED_EMAIL = '';

/** Whether a storefront may see this mailbox: only the one whose order created it (another one gets a 404). */
export const isMailboxOf = (mailbox: Mailbox | undefined, storefrontId: string): mailbox is Mailbox =>
  mailbox !== undefined && mailbox.storefrontId === storefrontId;

/** Whether a new order may take this address now. */
export function isAddressFree(mailbox: Mailbox | undefined, now: Date): boolean {
  if (!mailboxLifecycle.canMove(mailbox?.status ?? 'absent', 'reserve')) return false;
  // A reservation is taken over only once its hold has expired.
  return mailbox?.status !== 'reserved' || (mailbox.holdUntil !== undefined && mailbox.holdUntil < now.toISOString());
}

/** `years` calendar years after `from`, in UTC (29 February rolls over to 1 March). */
export function addYears(from: Date, years: number): Date {
  const to = new Date(from.getTime());
  to.setUTCFullYear(to.getUTCFullYear() + years);
  return to;
}

export function toPublicMailbox(mailbox: Mailbox): PublicMailbox | undefined {
  if (mailbox.status === 'reserved') return undefined;
  return {
    address: mailbox.address,
    type: mailbox.type,
    status: mailbox.status,
    domainPec: mailbox.domainPec,
    activatedAt: mailbox.activatedAt ?? null,
    expiresAt: mailbox.expiresAt ?? null,
    autoRenew: mailbox.autoRenew,
    passwordSet: mailbox.passwordSet,
    ...(mailbox.contact ? { contact: mailbox.contact } : {}),
  };
}

/** Why a mailbox cannot be renewed by hand now; undefined when it can. */
export function manualRenewalRefusal(
  mailbox: Mailbox | undefined,
): 'not_found' | 'not_renewable' | 'auto_renew_active' | undefined {
  if (!mailbox) return 'not_found';
  if (!mailboxLifecycle.canMove(mailbox.status, 'renew')) {
    return mailbox.status === 'activating' ? 'not_renewable' : 'not_found';
  }
  // Automatic renewal will charge the stored card: a manual renewal on top would be paid twice.
  if (mailbox.autoRenew) return 'auto_renew_active';
  return undefined;
}

/** Why automatic renewal cannot be switched as asked; undefined when it can. */
export function autoRenewRefusal(
  mailbox: Mailbox | undefined,
  enabled: boolean,
): 'not_found' | 'no_payment_method' | undefined {
  if (!mailbox || !mailboxLifecycle.canMove(mailbox.status, 'set_auto_renew')) return 'not_found';
  // Only a card or PayPal token can be charged automatically, or a reseller's credit debited.
  if (enabled && !mailbox.renewalPayment && !mailbox.renewsFromCredit) return 'no_payment_method';
  return undefined;
}

/**
 * The expiry after renewing for `years`: counted from the current expiry while the mailbox is still
 * running (no day is lost by renewing early), from now once it has expired.
 */
export function renewedExpiry(expiresAt: string | undefined, now: Date, years: number): Date {
  const base = expiresAt && expiresAt > now.toISOString() ? new Date(expiresAt) : now;
  return addYears(base, years);
}
