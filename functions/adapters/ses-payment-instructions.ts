import * as z from 'zod';
import type { Notifier } from '../use-cases/ports.ts';
import { paymentInstructionsEmail } from './email/templates.ts';
import { type Sender, sendEmail } from './ses-notifier.ts';

/** Where bank transfers and postal slips are paid to: only the function that sends the instructions is given it. */
export const bankVariables = {
  PAYMENT_BENEFICIARY: z.string().min(1),
  PAYMENT_IBAN: z.string().regex(/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/, 'an IBAN without spaces'),
  /** Optional: without one, postal slip instructions show the IBAN. */
  PAYMENT_POSTAL_ACCOUNT: z.string().min(1).optional(),
};

/** The account the holder pays into. */
export interface BankDetails {
  beneficiary: string;
  iban: string;
  postalAccount?: string | undefined;
}

/** The payment instructions email of a transfer or postal slip order, with the bank details, sent through SES. */
export const sesPaymentInstructions = (sender: Sender, bank: BankDetails): Pick<Notifier, 'paymentInstructions'> => ({
  paymentInstructions: (input) => sendEmail(sender, paymentInstructionsEmail({ ...input, ...bank }), input.address),
});
