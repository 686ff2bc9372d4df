import { createHash, randomBytes } from 'node:crypto';
import {
  type AccessLinkPurpose,
  accessLink,
  FIRST_ACCESS_LINK_LIMIT,
  type FirstAccessLinkRefusal,
  firstAccessLinkRefusal,
  firstPasswordAllowed,
  PASSWORD_RESET_LIMIT,
  type RateLimit,
  resetLinkAllowed,
  TOKEN_BYTES,
} from '../domain/access-links.ts';
import {
  ConflictError,
  NotFoundError,
  TokenGoneError,
  TooManyRequestsError,
  ValidationError,
} from '../domain/errors.ts';
import { passwordProblems } from '../domain/password-policy.ts';
import type { AccessTokenRepository, MailboxRepository, MailPlatform, Notifier, RateLimiter } from './ports.ts';

/*
 * The holder's ways to a password: the first-access link (emailed at activation by the workflow,
 * and again when the storefront asks), the password-reset link (asked for by the holder) and the
 * password set from either. Every token is 256 random bits, stored only as its SHA-256; a new link
 * revokes the earlier one of the same purpose.
 */

/** The SHA-256 under which a token is stored and looked up. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Where links point and how long they last. */
export interface LinkSettings {
  /** The password-setup page; a link is `<url>?token=<token>`. */
  passwordSetupUrl: string;
  tokenTtlSeconds: number;
}

/**
 * Issues a new link of `purpose` for a mailbox: a fresh token, stored hashed as the mailbox's one
 * usable link of that purpose (the earlier one stops working). Answers the link to email.
 */
export async function issueAccessLink(
  tokens: Pick<AccessTokenRepository, 'issue'>,
  mailbox: { address: string; orderId: string },
  purpose: AccessLinkPurpose,
  settings: LinkSettings,
  now: Date,
): Promise<{ link: string; expiresAt: string }> {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const expiresAt = new Date(now.getTime() + settings.tokenTtlSeconds * 1000).toISOString();
  await tokens.issue({
    tokenHash: hashToken(token),
    address: mailbox.address,
    orderId: mailbox.orderId,
    purpose,
    expiresAt,
  });
  return { link: accessLink(settings.passwordSetupUrl, token), expiresAt };
}

export interface AccessLinkDeps {
  mailboxes: Pick<MailboxRepository, 'get'>;
  tokens: Pick<AccessTokenRepository, 'issue'>;
  limiter: RateLimiter;
}

/** Counts one request against `limit`, or refuses it with when to retry. */
export async function throttle(limiter: RateLimiter, limit: RateLimit, subject: string, now: Date, what: string) {
  const decision = await limiter.hit(limit, subject, now);
  if (!decision.allowed) {
    throw new TooManyRequestsError(
      `At most ${limit.requests} ${what} in ${limit.windowSeconds / 3600} hours: retry in ${decision.retryAfterSeconds} seconds.`,
      decision.retryAfterSeconds,
    );
  }
}

/**
 * POST /mailboxes/{address}/first-access-link, for the storefront whose order created the mailbox:
 * 1. another storefront's mailbox is answered exactly as a missing one (404);
 * 2. a mailbox whose password is set needs a reset instead (409), one still activating waits (409);
 * 3. at most 5 new links per mailbox in 24 hours (429);
 * 4. a new link is issued (the earlier ones stop working) and emailed to the holder.
 */
export async function sendNewFirstAccessLink(
  deps: AccessLinkDeps & { notifier: Pick<Notifier, 'firstAccess'> },
  request: { address: string; storefrontId: string },
  settings: LinkSettings,
  now: Date,
): Promise<void> {
  const { address } = request;
  const mailbox = await deps.mailboxes.get(address);
  const refusal = firstAccessLinkRefusal(mailbox, request.storefrontId);
  if (refusal !== undefined || !mailbox) throw firstAccessLinkRefused(refusal ?? 'not_found', address);
  await throttle(deps.limiter, FIRST_ACCESS_LINK_LIMIT, address, now, 'first-access links per mailbox');
  await emailNewFirstAccessLink(deps, mailbox, settings, now);
}

/**
 * Issues a new first-access link for a mailbox (the earlier one stops working; a used one stays
 * used) and emails it to the holder, as a link sent again on request.
 */
export async function emailNewFirstAccessLink(
  deps: { tokens: Pick<AccessTokenRepository, 'issue'>; notifier: Pick<Notifier, 'firstAccess'> },
  mailbox: { address: string; orderId: string; holderEmail: string },
  settings: LinkSettings,
  now: Date,
): Promise<void> {
  const { address } = mailbox;
  const { link, expiresAt } = await issueAccessLink(deps.tokens, mailbox, 'first_access', settings, now);
  await deps.notifier.firstAccess({ to: mailbox.holderEmail, address, link, expiresAt, reissued: true });
}

function firstAccessLinkRefused(refusal: FirstAccessLinkRefusal, address: string) {
  switch (refusal) {
    case 'not_found':
      return new NotFoundError(`Mailbox ${address}`, 'mailbox_not_found');
    case 'password_already_set':
      return new ConflictError(
        'password_already_set',
        `The password of ${address} is set already: the holder can ask for a reset link (POST /password-reset).`,
      );
    case 'not_active':
      return new ConflictError(
        'mailbox_not_active',
        `The mailbox ${address} is still being activated: its first-access link is emailed once it is active.`,
      );
  }
}

/**
 * POST /password-reset: the answer never depends on whether the mailbox exists.
 * 1. at most 5 requests per address in 24 hours, counted for every address (429);
 * 2. only a mailbox that exists and has a password gets a reset link (valid one hour, single use,
 *    the earlier reset link revoked), emailed to the holder's reference email; for any other
 *    address nothing happens.
 */
export async function requestPasswordReset(
  deps: AccessLinkDeps & { notifier: Pick<Notifier, 'passwordReset'> },
  address: string,
  settings: LinkSettings,
  now: Date,
): Promise<void> {
  await throttle(deps.limiter, PASSWORD_RESET_LIMIT, address, now, 'password resets per address');
  const mailbox = await deps.mailboxes.get(address);
  if (!mailbox || !resetLinkAllowed(mailbox)) return;
  const { link, expiresAt } = await issueAccessLink(deps.tokens, mailbox, 'reset', settings, now);
  await deps.notifier.passwordReset({ to: mailbox.holderEmail, address, link, expiresAt });
}

export interface SetPasswordDeps {
  tokens: Pick<AccessTokenRepository, 'claim' | 'unclaim'>;
  mailboxes: Pick<MailboxRepository, 'get' | 'markPasswordSet'>;
  platform: Pick<MailPlatform, 'setPassword'>;
}

/**
 * POST /password-setup: the holder sets the mailbox password from a first-access or a reset link.
 * 1. the password must meet the policy (checked before the link is spent);
 * 2. the token is claimed atomically: one request ever succeeds with it, and only with the
 *    mailbox's latest link of its purpose;
 * 3. the password is set on the mail platform (which keeps only a hash), and the mailbox shows it.
 * If the platform fails, the claim is given back so the link still works.
 */
export async function setPasswordFromLink(
  deps: SetPasswordDeps,
  input: { token: string; password: string },
  now: Date,
): Promise<void> {
  const basic = passwordProblems(input.password);
  if (basic.length > 0) throw weak(basic);

  const tokenHash = hashToken(input.token);
  const { result, token } = await deps.tokens.claim(tokenHash, now);
  if (result === 'unknown') throw new NotFoundError('This link', 'token_not_found');
  if (result !== 'claimed') throw new TokenGoneError(result);
  if (!token) throw new Error('claimed token without its record');

  const mailbox = await deps.mailboxes.get(token.address);
  // A first-access link is spent once a password is set by any means; a reset link needs one set.
  const applies = token.purpose === 'reset' ? resetLinkAllowed : firstPasswordAllowed;
  if (!mailbox || !applies(mailbox)) throw new TokenGoneError('used');
  const withContext = passwordProblems(input.password, { address: token.address });
  try {
    if (withContext.length > 0) throw weak(withContext);
    await deps.platform.setPassword(token.address, input.password);
  } catch (error) {
    await deps.tokens.unclaim(token);
    throw error;
  }
  if (token.purpose === 'first_access') await deps.mailboxes.markPasswordSet(token.address);
}

const weak = (problems: string[]) =>
  new ValidationError(
    problems.map((message) => ({ path: 'password', message })),
    'The password does not meet the password policy.',
  );
