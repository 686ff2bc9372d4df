import * as z from 'zod';
import type { EmailFeedback } from '../use-cases/email-feedback.ts';
import { MAILBOX_TAG, mailboxOfTag } from './ses-notifier.ts';

/*
 * What SES publishes to the feedback topic for an email sent with the configuration set (event
 * publishing: `eventType`; identity notifications say `notificationType`), read into an
 * EmailFeedback. Only what the rule needs is read; anything else in the event is left alone.
 */

const recipient = z.object({ emailAddress: z.string(), diagnosticCode: z.string().optional() });

/** One SES bounce or complaint event (the JSON of one SNS message). */
export const SesFeedbackEventSchema = z
  .object({
    eventType: z.string().optional(),
    notificationType: z.string().optional(),
    mail: z.object({
      messageId: z.string(),
      tags: z.record(z.string(), z.array(z.string())).optional(),
    }),
    bounce: z
      .object({
        bounceType: z.string(),
        bounceSubType: z.string().optional(),
        bouncedRecipients: z.array(recipient),
        timestamp: z.string(),
      })
      .optional(),
    complaint: z.object({ complainedRecipients: z.array(recipient), timestamp: z.string() }).optional(),
  })
  .refine((event) => event.bounce !== undefined || event.complaint !== undefined, {
    message: 'An SES event with neither a bounce nor a complaint',
  });
export type SesFeedbackEvent = z.infer<typeof SesFeedbackEventSchema>;

/** The feedback an SES event carries, the mailbox read back from the email's tag. */
export function feedbackOf(event: SesFeedbackEvent): EmailFeedback {
  const tag = event.mail.tags?.[MAILBOX_TAG]?.[0];
  const mailbox = tag ? mailboxOfTag(tag) : undefined;
  if (event.bounce) {
    const [first] = event.bounce.bouncedRecipients;
    return {
      kind: 'bounce',
      bounceType: event.bounce.bounceType,
      recipients: event.bounce.bouncedRecipients.map((each) => each.emailAddress.toLowerCase()),
      mailbox,
      reason: first?.diagnosticCode ?? `${event.bounce.bounceType} ${event.bounce.bounceSubType ?? ''}`.trim(),
      at: new Date(event.bounce.timestamp).toISOString(),
    };
  }
  const complaint = event.complaint as NonNullable<SesFeedbackEvent['complaint']>;
  return {
    kind: 'complaint',
    recipients: complaint.complainedRecipients.map((each) => each.emailAddress.toLowerCase()),
    mailbox,
    reason: 'complaint',
    at: new Date(complaint.timestamp).toISOString(),
  };
}
