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
