import * as z from 'zod';
import { defineConfig } from '../config.ts';
import type { Notifier } from '../use-cases/ports.ts';
import { paymentInstructionsEmail } from './email/templates.ts';
import { sendEmail } from './ses-notifier.ts';

/** Where bank transfers and postal slips are paid to: only the function that sends the instructions is given it. */
const config = defineConfig({
  PAYMENT_BENEFICIARY: z.string().min(1),
  PAYMENT_IBAN: z.string().regex(/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/, 'an IBAN without spaces'),
  /** Optional: without one, postal slip instructions show the IBAN. */
  PAYMENT_POSTAL_ACCOUNT: z.string().min(1).optional(),
});

/** The payment instructions email of a transfer or postal slip order, with the bank details, sent through SES. */
export const sesPaymentInstructions: Pick<Notifier, 'paymentInstructions'> = {
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
