import type { DomainRenewalNotifier, EnrolmentNotifier, ResellerNotifier } from '../use-cases/ports.ts';
import {
  creditRenewalDeclinedEmail,
  creditRenewalNoticeEmail,
  domainRenewalShortEmail,
  enrolmentApprovedEmail,
  enrolmentRejectedEmail,
  lowBalanceEmail,
} from './email/templates.ts';
import { type Sender, sendEmail } from './ses-notifier.ts';

/** The reseller's emails about its credit and its enrolment, in Italian, sent through SES. */
export const sesResellerNotifier = (sender: Sender): ResellerNotifier & EnrolmentNotifier & DomainRenewalNotifier => ({
  lowBalance: (input) => sendEmail(sender, lowBalanceEmail(input)),
  creditRenewalNotice: (input) => sendEmail(sender, creditRenewalNoticeEmail(input)),
  creditRenewalDeclined: (input) => sendEmail(sender, creditRenewalDeclinedEmail(input)),
  domainRenewalShort: (input) => sendEmail(sender, domainRenewalShortEmail(input)),
  enrolmentApproved: (input) => sendEmail(sender, enrolmentApprovedEmail(input)),
  enrolmentRejected: (input) => sendEmail(sender, enrolmentRejectedEmail(input)),
});
