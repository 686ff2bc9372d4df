import type { MailboxStatus } from './lifecycles.ts';
import { isMailboxOf, type Mailbox } from './mailbox.ts';

/*
 * The links emailed to a mailbox's holder to choose its password: the first-access link (sent at
 * activation, and again on the storefront's request) and the password-reset link (on the holder's
 * request). Each is single use and carries a 256-bit token; the latest link of each purpose is the
 * only one of that purpose that works.
 */

export const ACCESS_LINK_PURPOSES = ['first_access', 'reset'] as const;
export type AccessLinkPurpose = (typeof ACCESS_LINK_PURPOSES)[number];

/** Random bytes in a token: 256 bits. */
export const TOKEN_BYTES = 32;

/** A token as the links carry it: 32 bytes in unpadded base64url, 43 characters. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** Whether `token` has the form of a token this system issues (says nothing about whether it was issued). */
export const isWellFormedToken = (token: string | undefined): token is string =>
  token !== undefined && TOKEN_FORMAT.test(token);

/** How many requests a rate limit lets through in any window of `windowSeconds`. */
export interface RateLimit {
  /** Names the limited action in keys and messages. */
  name: string;
  requests: number;
  windowSeconds: number;
}

const DAY_SECONDS = 24 * 3600;

/** New first-access links a storefront may ask for one mailbox (CONTRACT.md: 429 after 5 in 24 h). */
export const FIRST_ACCESS_LINK_LIMIT: RateLimit = {
  name: 'first-access-link',
  requests: 5,
  windowSeconds: DAY_SECONDS,
};

/**
 * Password-reset requests for one address (CONTRACT.md: 429 after 5 in 24 h). Counted for every
 * well-formed address, whether or not a mailbox has it, so that the 429 says nothing about existence.
 */
export const PASSWORD_RESET_LIMIT: RateLimit = { name: 'password-reset', requests: 5, windowSeconds: DAY_SECONDS };

/** The link to the password-setup page for `token`: the page's URL with `?token=` set (other parameters kept). */
export function accessLink(pageUrl: string, token: string): string {
  const link = new URL(pageUrl);
  link.searchParams.set('token', token);
  return link.toString();
}

/** The statuses in which a mailbox's account exists on the mail platform, so a password can be set. */
const WITH_ACCOUNT: readonly MailboxStatus[] = ['active', 'suspended'];

export type FirstAccessLinkRefusal = 'not_found' | 'password_already_set' | 'not_active';

/**
 * Why a storefront cannot have a new first-access link sent for this mailbox now; undefined when it
 * can. Another storefront's mailbox is `not_found`, exactly as a missing one.
 */
export function firstAccessLinkRefusal(
  mailbox: Mailbox | undefined,
  storefrontId: string,
): FirstAccessLinkRefusal | undefined {
  if (!isMailboxOf(mailbox, storefrontId)) return 'not_found';
  if (mailbox.status === 'activating') return 'not_active';
  if (!WITH_ACCOUNT.includes(mailbox.status)) return 'not_found';
  if (mailbox.passwordSet) return 'password_already_set';
  return undefined;
}

/** Whether a first-access link can set this mailbox's password: it has an account and no password yet. */
export const firstPasswordAllowed = (mailbox: Mailbox): boolean =>
  WITH_ACCOUNT.includes(mailbox.status) && !mailbox.passwordSet;

/** Whether a password-reset link can set this mailbox's password: it has an account and a password. */
export const resetLinkAllowed = (mailbox: Mailbox): boolean =>
  WITH_ACCOUNT.includes(mailbox.status) && mailbox.passwordSet;
