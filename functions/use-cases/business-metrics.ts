/*
 * What the business watches, counted where it happens: the port the use cases count through, and
 * the metric names, which the CDK app's alarms and dashboard read too (one list, so a renamed
 * metric cannot leave an alarm watching nothing). The adapter (functions/adapters/metrics.ts)
 * writes them as CloudWatch embedded metrics (EMF) into the function's log, in METRICS_NAMESPACE.
 */

/** The CloudWatch namespace of the product's own metrics (POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'PecProvisioning';

/**
 * The service every function reports as (POWERTOOLS_SERVICE_NAME): Powertools Metrics adds it to
 * each metric as the dimension `service`, so an alarm names it too.
 */
export const SERVICE_NAME = 'pec-provisioning';

/** Counts: each one added once per transition (the repositories' conditional writes tell the first time). */
export const BusinessCount = {
  OrdersPlaced: 'OrdersPlaced',
  OrdersPaid: 'OrdersPaid',
  /** A new mailbox's order completed: the mailbox is active. */
  OrdersActivated: 'OrdersActivated',
  OrdersFailed: 'OrdersFailed',
  OrdersCancelled: 'OrdersCancelled',
  /** A refund recorded as made (by the provider, or by an operator). */
  OrdersRefunded: 'OrdersRefunded',
  RenewalsCharged: 'RenewalsCharged',
  RenewalsDeclined: 'RenewalsDeclined',
  /** A payment event an operator must look at (money for no order, a second credit, a foreign currency...). */
  PaymentAnomalies: 'PaymentAnomalies',
  /**
   * Refunds to do recorded more than a day ago: a gauge, not a count of events, measured every 5
   * minutes from the attention index (`use-cases/attention-gauge.ts`).
   */
  RefundsPending: 'RefundsPending',
  /** Paid orders not active past their promise, right now (a gauge, like RefundsPending). */
  ActivationOverdue: 'ActivationOverdue',
  /** Every order that needs a person right now (a gauge, like RefundsPending). */
  OrdersNeedingAttention: 'OrdersNeedingAttention',
  /** A mailbox the renewal sweep failed on (its retries ran out; the next run reads it again). */
  SweepFailures: 'SweepFailures',
  /** An SES bounce (hard) of a holder's reference email, recorded on the mailbox. */
  ContactsUndeliverable: 'ContactsUndeliverable',
} as const;
export type BusinessCount = (typeof BusinessCount)[keyof typeof BusinessCount];

/** From the payment to the active mailbox, in milliseconds, per promise (dimension `Promise`). */
export const PAYMENT_TO_ACTIVE_LATENCY = 'PaymentToActiveLatency';

/**
 * What activation is promised within, after the payment: minutes for a mailbox on the provider's
 * domains, 48 hours on the holder's own domain (its DNS must point at the provider first).
 */
export const ACTIVATION_PROMISE = {
  generic: { seconds: 10 * 60 },
  ownDomain: { seconds: 48 * 60 * 60 },
} as const;
export type ActivationPromise = keyof typeof ACTIVATION_PROMISE;

/** The port: where a use case counts what happened. */
export interface BusinessMetrics {
  count(metric: BusinessCount, value?: number): void;
  /** One order's time from its payment to its active mailbox. */
  paymentToActive(milliseconds: number, promise: ActivationPromise): void;
}
