import { SendEmailCommand } from '@aws-sdk/client-ses';
import * as z from 'zod';
import { defineConfig } from '../config.ts';
import { EmailOutcomeUnknownError } from '../domain/errors.ts';
import type { EmailMessage, Notifier } from '../use-cases/ports.ts';
import { ses } from './clients/ses.ts';
import {
  domainDnsInstructionsEmail,
  expiryReminderEmail,
  firstAccessEmail,
  orderCancelledEmail,
  orderFailedEmail,
  renewalConfirmedEmail,
} from './email/templates.ts';

const config = defineConfig({
  SENDER_EMAIL: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().optional(),
});

/**
 * Sends one email through SES, as text and HTML in UTF-8. An error SES answered (throttling, a
 * rejected message, a service error) means the email was not sent and reaches the caller as it is;
 * no answer at all (a timeout, a dropped connection) is EmailOutcomeUnknownError: it may have been sent.
 */
export async function sendEmail(message: EmailMessage): Promise<string> {
  try {
    const { MessageId } = await ses.send(
      new SendEmailCommand({
        Source: config.SENDER_EMAIL,
        Destination: { ToAddresses: message.to },
        Message: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
        },
        ConfigurationSetName: config.SES_CONFIGURATION_SET,
      }),
    );
    return MessageId ?? '';
  } catch (error) {
    if (answeredBySes(error)) throw error;
    throw new EmailOutcomeUnknownError('SES did not answer: the email may have been sent.', { cause: error });
  }
}

/** Whether an SDK error is an answer from SES (it carries the HTTP status of SES's response). */
const answeredBySes = (error: unknown): boolean =>
  typeof (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode === 'number';

/**
 * Every email to the holder but the payment instructions (./ses-payment-instructions.ts, the one
 * that needs the bank details), rendered from the Italian templates and sent through SES.
 */
export const sesNotifier: Omit<Notifier, 'paymentInstructions'> = {
  firstAccess: (input) => sendEmail(firstAccessEmail(input)),
  orderFailed: (input) => sendEmail(orderFailedEmail(input)),
  orderCancelled: (input) => sendEmail(orderCancelledEmail(input)),
  renewalConfirmed: (input) => sendEmail(renewalConfirmedEmail(input)),
  domainDnsInstructions: (input) => sendEmail(domainDnsInstructionsEmail(input)),
  expiryReminder: (input) => sendEmail(expiryReminderEmail(input)),
};
