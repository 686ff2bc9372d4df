import { BusinessCount, type BusinessMetrics } from './business-metrics.ts';
import type { MailboxRepository } from './ports.ts';

/** What SES reported about one email it sent (a bounce or a complaint), as the adapter reads it. */
export interface EmailFeedback {
  kind: 'bounce' | 'complaint';
  /** Bounces only: `Permanent` is a hard bounce (no such mailbox, a domain that takes no mail). */
  bounceType?: string;
  /** The recipients concerned (lower-cased). */
  recipients: string[];
  /** The mailbox the email was about (the `mailbox` tag set when it was sent), when it was about one. */
  mailbox?: string | undefined;
  /** The receiving server's diagnostic for the first recipient, or the bounce's subtype. */
  reason: string;
  /** When SES reported it (ISO 8601). */
  at: string;
}

export interface EmailFeedbackDeps {
  mailboxes: Pick<MailboxRepository, 'get' | 'markContactUndeliverable'>;
  metrics?: BusinessMetrics;
}

export type EmailFeedbackOutcome =
  | 'contact_undeliverable'
  | 'already_recorded'
  | 'not_a_hard_bounce'
  | 'no_mailbox'
  | 'not_the_reference_email';

/**
 * A bounce or complaint SES reported for an email sent with the configuration set:
 * 1. only a hard bounce (`Permanent`) of an email about a mailbox says something lasting about the
 *    holder's reference email; a soft bounce passes, a complaint is only counted by SES (reputation);
 * 2. the mailbox is the one the email was tagged with at sending (no lookup by the address, which is
 *    personal data and has no index);
 * 3. when a bounced recipient is still that mailbox's reference email, the mailbox's contact is
 *    marked undeliverable (once: the first report is kept), for the storefront and the operators.
 */
export async function recordEmailFeedback(
  deps: EmailFeedbackDeps,
  feedback: EmailFeedback,
): Promise<EmailFeedbackOutcome> {
  if (feedback.kind !== 'bounce' || feedback.bounceType !== 'Permanent') return 'not_a_hard_bounce';
  if (!feedback.mailbox) return 'no_mailbox';
  const mailbox = await deps.mailboxes.get(feedback.mailbox);
  if (!mailbox) return 'no_mailbox';
  const holderEmail = mailbox.holderEmail;
  if (!feedback.recipients.includes(holderEmail.toLowerCase())) return 'not_the_reference_email';
  const marked = await deps.mailboxes.markContactUndeliverable(mailbox.address, holderEmail, {
    undeliverable: true,
    since: feedback.at,
    reason: feedback.reason,
  });
  if (!marked) return 'already_recorded';
  deps.metrics?.count(BusinessCount.ContactsUndeliverable);
  return 'contact_undeliverable';
}
