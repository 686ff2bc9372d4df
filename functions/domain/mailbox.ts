import type { MailboxType } from './catalog.ts';
import type { PaymentMethod } from './order.ts';

/**
 * `reserved` is the address held for an order not yet paid: it is not a mailbox yet and the API
 * answers 404 for it. The rest is the contract's lifecycle.
 */
export type MailboxStatus = 'reserved' | 'activating' | 'active' | 'suspended' | 'deleted';

export interface Mailbox {
  address: string;
  status: MailboxStatus;
  /** The order that reserved or last created this mailbox. */
  orderId: string;
  /** For a reservation: after this instant an unfinished order no longer holds the address. */
  holdUntil?: string;
  type: MailboxType;
  domainPec: boolean;
  holderEmail: string;
  activatedAt?: string;
  expiresAt?: string;
  autoRenew: boolean;
  passwordSet: boolean;
  /** The card or PayPal token automatic renewals are charged to. */
  renewalPayment?: { method: PaymentMethod; token: string };
  /** Renewal orders already applied, so a retried extension never adds the years twice. */
  renewalOrders?: Set<string>;
  /** Expiry reminders already sent (`<expiresAt>#<days>`), so each is sent once. */
  remindersSent?: Set<string>;
}

export interface PublicMailbox {
  address: string;
  type: MailboxType;
  status: Exclude<MailboxStatus, 'reserved'>;
  domainPec: boolean;
  activatedAt: string | null;
  expiresAt: string | null;
  autoRenew: boolean;
  passwordSet: boolean;
}

/** Whether a new order may take this address now. */
export function isAddressFree(mailbox: Mailbox | undefined, now: Date): boolean {
  if (!mailbox || mailbox.status === 'deleted') return true;
  return mailbox.status === 'reserved' && mailbox.holdUntil !== undefined && mailbox.holdUntil < now.toISOString();
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
  };
}

/** Why a mailbox cannot be renewed by hand now; undefined when it can. */
export function manualRenewalRefusal(
  mailbox: Mailbox | undefined,
): 'not_found' | 'not_renewable' | 'auto_renew_active' | undefined {
  if (!mailbox || mailbox.status === 'reserved' || mailbox.status === 'deleted') return 'not_found';
  if (mailbox.status === 'activating') return 'not_renewable';
  // Automatic renewal will charge the stored card: a manual renewal on top would be paid twice.
  if (mailbox.autoRenew) return 'auto_renew_active';
  return undefined;
}

/** Why automatic renewal cannot be switched as asked; undefined when it can. */
export function autoRenewRefusal(
  mailbox: Mailbox | undefined,
  enabled: boolean,
): 'not_found' | 'no_payment_method' | undefined {
  if (!mailbox || mailbox.status === 'reserved' || mailbox.status === 'deleted' || mailbox.status === 'activating') {
    return 'not_found';
  }
  // Only a card or PayPal token can be charged automatically.
  if (enabled && !mailbox.renewalPayment) return 'no_payment_method';
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
