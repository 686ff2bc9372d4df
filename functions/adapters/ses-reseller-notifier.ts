import type { ResellerNotifier } from '../use-cases/ports.ts';
import { lowBalanceEmail } from './email/templates.ts';
import { type Sender, sendEmail } from './ses-notifier.ts';

/** The reseller's emails about its credit, in Italian, sent through SES. */
export const sesResellerNotifier = (sender: Sender): ResellerNotifier => ({
  lowBalance: (input) => sendEmail(sender, lowBalanceEmail(input)),
});
