import { type SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import * as z from 'zod';
import { EmailOutcomeUnknownError } from '../domain/errors.ts';
import type { EmailMessage, Notifier } from '../use-cases/ports.ts';
import {
  chargeNoticeEmail,
  domainDnsInstructionsEmail,
  expiryReminderEmail,
  firstAccessEmail,
  orderCancelledEmail,
  orderConfirmationEmail,
  orderFailedEmail,
  passwordResetEmail,
  renewalConfirmedEmail,
  renewalDeclinedEmail,
} from './email/templates.ts';

/** The sender settings, for the `defineConfig` of a function that sends email. */
export const senderVariables = {
  SENDER_EMAIL: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().optional(),
};

/** How email is sent: the SES client, the sender address and, optionally, the configuration set. */
export interface Sender {
  client: SESClient;
  sender: string;
  configurationSet?: string | undefined;
}

/** The sender settings as `defineConfig(senderVariables)` read them. */
export const senderOf = (
  client: SESClient,
  config: { SENDER_EMAIL: string; SES_CONFIGURATION_SET?: string | undefined },
): Sender => ({
  client,
  sender: config.SENDER_EMAIL,
  configurationSet: config.SES_CONFIGURATION_SET,
});

/** The SES message tag naming the mailbox an email is about: SES hands it back with a bounce or complaint. */
export const MAILBOX_TAG = 'mailbox';

/**
 * A mailbox address as a message tag value, which SES limits to letters, digits, `_` and `-`:
 * base64url (no padding) of its UTF-8 bytes. `mailboxOfTag` reads it back.
 */
export const mailboxTag = (address: string) => Buffer.from(address, 'utf8').toString('base64url');
export const mailboxOfTag = (value: string) => Buffer.from(value, 'base64url').toString('utf8');

/**
 * Sends one email through SES, as text and HTML in UTF-8, with the configuration set (its bounce and
 * complaint events) and, for an email about a mailbox, that mailbox as a message tag (`MAILBOX_TAG`).
 * An error SES answered (throttling, a rejected message, a service error) means the email was not
 * sent and reaches the caller as it is; no answer at all (a timeout, a dropped connection) is
 * EmailOutcomeUnknownError: it may have been sent.
 */
export async function sendEmail(
  { client, sender, configurationSet }: Sender,
  message: EmailMessage,
  mailbox?: string,
): Promise<string> {
  try {
    const { MessageId } = await client.send(
      new SendEmailCommand({
        Source: sender,
        Destination: { ToAddresses: message.to },
        Message: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
        },
        ConfigurationSetName: configurationSet,
        ...(mailbox ? { Tags: [{ Name: MAILBOX_TAG, Value: mailboxTag(mailbox) }] } : {}),
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
export const sesNotifier = (sender: Sender): Omit<Notifier, 'paymentInstructions'> => ({
  orderConfirmation: (input) => sendEmail(sender, orderConfirmationEmail(input), input.address),
  firstAccess: (input) => sendEmail(sender, firstAccessEmail(input), input.address),
  passwordReset: (input) => sendEmail(sender, passwordResetEmail(input), input.address),
  orderFailed: (input) => sendEmail(sender, orderFailedEmail(input), input.address),
  orderCancelled: (input) => sendEmail(sender, orderCancelledEmail(input), input.address),
  renewalConfirmed: (input) => sendEmail(sender, renewalConfirmedEmail(input), input.address),
  domainDnsInstructions: (input) => sendEmail(sender, domainDnsInstructionsEmail(input), input.address),
  expiryReminder: (input) => sendEmail(sender, expiryReminderEmail(input), input.address),
  chargeNotice: (input) => sendEmail(sender, chargeNoticeEmail(input), input.address),
  renewalDeclined: (input) => sendEmail(sender, renewalDeclinedEmail(input), input.address),
});
