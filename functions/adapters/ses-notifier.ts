import { SendEmailCommand } from '@aws-sdk/client-ses';
import * as z from 'zod';
import { defineConfig } from '../config.ts';
import type { EmailMessage, Notifier } from '../use-cases/ports.ts';
import { ses } from './clients/ses.ts';
import {
  domainDnsInstructionsEmail,
  expiryReminderEmail,
  firstAccessEmail,
  orderCancelledEmail,
  orderFailedEmail,
  paymentInstructionsEmail,
  renewalConfirmedEmail,
} from './email/templates.ts';

const config = defineConfig({
  SENDER_EMAIL: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().optional(),
  // Where bank transfers and postal slips are paid to, shown in the payment instructions.
  PAYMENT_BENEFICIARY: z.string().min(1),
  PAYMENT_IBAN: z.string().regex(/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/, 'an IBAN without spaces'),
  /** Optional: without one, postal slip instructions show the IBAN. */
  PAYMENT_POSTAL_ACCOUNT: z.string().min(1).optional(),
});

/** Sends one email through SES, as text and HTML in UTF-8. */
export async function sendEmail(message: EmailMessage): Promise<string> {
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
}

/** Every email of the product, rendered from the Italian templates and sent through SES. */
export const sesNotifier: Notifier = {
  firstAccess: (input) => sendEmail(firstAccessEmail(input)),
  orderFailed: (input) => sendEmail(orderFailedEmail(input)),
  orderCancelled: (input) => sendEmail(orderCancelledEmail(input)),
  renewalConfirmed: (input) => sendEmail(renewalConfirmedEmail(input)),
  domainDnsInstructions: (input) => sendEmail(domainDnsInstructionsEmail(input)),
  expiryReminder: (input) => sendEmail(expiryReminderEmail(input)),
  paymentInstructions: (input) =>
    sendEmail(
      paymentInstructionsEmail({
        ...input,
        beneficiary: config.PAYMENT_BENEFICIARY,
        iban: config.PAYMENT_IBAN,
        postalAccount: config.PAYMENT_POSTAL_ACCOUNT,
      }),
    ),
};
