import type { AccessLinkPurpose, RateLimit } from '../domain/access-links.ts';
import type { MailboxType } from '../domain/catalog.ts';
import type { ErrorName } from '../domain/errors.ts';
import type { OrderStatus } from '../domain/lifecycles.ts';
import type { Mailbox, MailboxContact } from '../domain/mailbox.ts';
import type { Order, OrderEmailField, OrderKind, Payer, Refund } from '../domain/order.ts';
import type {
  CreditPaymentMethod,
  ImmediatePaymentMethod,
  PaymentCredential,
  SavedPaymentMethod,
} from '../domain/payment-methods.ts';
import type { ExtraGb, PlanChoice, Quota, SpaceInUse } from '../domain/renewal-plan.ts';
import type { CreditMovement, Reseller, TopUp } from '../domain/reseller-credit.ts';
import type { ResellerDomain } from '../domain/reseller-domains.ts';
import type { Enrolment, EnrolmentStatus } from '../domain/reseller-enrolment.ts';
import type { NextAction, PublicMailbox, Totals } from '../domain/schemas.ts';

/*
 * The ports the use cases need. Adapters in `functions/adapters/` implement them; tests hand the
 * use cases in-memory or local-service implementations of the same interfaces. A write that moves
 * a status happens only from the statuses its lifecycle (`domain/lifecycles.ts`) allows for its event.
 */

/**
 * Where a page of a list ended: the sort instant and the id of its last item (an order's `createdAt`
 * and id; a mailbox's `orderedAt`, or `expiresAt` when listed by expiry, and address). The next
 * page holds the items that come after it.
 */
export interface ListPosition {
  at: string;
  id: string;
}

/** One page of a list, newest first; `next` is where the following page starts, absent on the last page. */
export interface ListPage<T> {
  items: T[];
  next?: ListPosition;
}

export interface OrderListQuery {
  status?: OrderStatus;
  /** At most this many items (the page is shorter only at the end of the list). */
  limit: number;
  after?: ListPosition;
}

export interface MailboxListQuery {
  status?: PublicMailbox['status'];
  /**
   * Only mailboxes that expire before this instant (ISO 8601 UTC, as `toISOString` writes it),
   * then listed latest expiry first instead of newest first.
   */
  expiresBefore?: string;
  limit: number;
  after?: ListPosition;
}

export interface OrderRepository {
  get(orderId: string): Promise<Order | undefined>;
  /** A storefront's orders, newest first (by `createdAt`), from an index: the cost of a page does not grow with the table. */
  listByStorefront(storefrontId: string, query: OrderListQuery): Promise<ListPage<Order>>;
  /** Creates the order unless one with its id exists; answers which happened. */
  create(order: Order): Promise<'created' | 'exists'>;
  /**
   * Event `pay`: `pending_payment` with a pending payment → `activating`, paid (by `payer`, when a
   * bank statement named who paid: kept as the order's `paidBy`; with `saved`, the payment method the
   * provider saved with the payment, kept as the order's `savedPaymentMethod`). False when not allowed.
   */
  markPaid(orderId: string, at: Date, chargeId?: string, payer?: Payer, saved?: SavedPaymentMethod): Promise<boolean>;
  /**
   * Event `decline`: a waiting order's payment → failed (the order itself is closed by its
   * workflow); true again for a payment failed already. False when the order no longer waits or its
   * payment was taken: a failure never undoes a registered credit, nor the reverse. `reason`, when
   * given, is kept as the order's `declineReason`.
   */
  markPaymentFailed(orderId: string, reason?: string): Promise<boolean>;
  /**
   * Event `complete`: `activating` → `completed`. False when the order is not activating. The order
   * forgets its initial-password credential, if it had one (as it does when it is closed).
   */
  markCompleted(orderId: string, at: Date): Promise<boolean>;
  /**
   * The mail platform's credential of the initial password a reseller chose for the order's mailbox
   * (`MailPlatform.credentialOf`), held with the order but never part of it (nor of the workflow's
   * input), until the order is completed or closed; undefined when there is none (any more).
   */
  initialPasswordCredential(orderId: string): Promise<string | undefined>;
  /**
   * Events `fail` or `cancel`: an order still open (`pending_payment` or `activating`) → `failed` or
   * `cancelled`, at `at`; with `paymentFailed`, its payment is declined with it. Answers the closed
   * order, or undefined when it was already closed or completed.
   */
  close(
    orderId: string,
    outcome: 'failed' | 'cancelled',
    reason: string,
    at: Date,
    paymentFailed?: boolean,
  ): Promise<Order | undefined>;
  /**
   * Event `storefront_cancel`: an order waiting for its credit (`pending_payment`, payment still
   * pending) → `cancelled`, at `at`, with `reason`. Its task token stays, for the wait to be ended
   * with it. Answers the cancelled order, or undefined when the order no longer waits (paid, closed...).
   */
  cancelWaiting(orderId: string, reason: string, at: Date): Promise<Order | undefined>;
  /**
   * Event `refund`: records a refund to make on a closed (failed or cancelled) order that was paid, or whose charge
   * turned out to have succeeded: its payment becomes `refund_required`. False when the order is not
   * closed, or a refund is recorded already (the first one stands). The order needs a person from
   * `dueAt` (default: at once) if the refund is still to make then (see `domain/attention.ts`).
   */
  recordRefund(orderId: string, refund: Refund, dueAt?: string): Promise<boolean>;
  /**
   * Event `refunded`: the provider gave back the money of a recorded refund (`refund` as it now is:
   * `refunded`, with the provider's refund id): the payment becomes `refunded`. False when no
   * refund is required (none recorded, or refunded already).
   */
  markRefunded(orderId: string, refund: Refund): Promise<boolean>;
  /**
   * The order is settled (completed with its record filed, or closed with every effect done and no
   * refund left to make): it leaves the attention index. A no-op for an order that is not.
   */
  settleAttention(orderId: string): Promise<void>;
  /**
   * Claims the sending of one of the order's emails (`field` is the order's timestamp field): true
   * for exactly one caller, however often and concurrently it is asked, so an email goes out at most once.
   */
  claimEmail(orderId: string, field: OrderEmailField, at: Date): Promise<boolean>;
  /** Remembers an activation whose audit entry could not be written, for CompleteOrder to write it. */
  noteUnauditedActivation(orderId: string, activatedAt: string): Promise<void>;
  /** Gives back a claim made `at`, after its email could not be sent, so a retry sends it. */
  releaseEmail(orderId: string, field: OrderEmailField, at: Date): Promise<void>;
  /**
   * Event `await_payment`: keeps the provider's payment created for the order, before any money is
   * asked for; with `nextAction`, also what the holder must do for it (3-D Secure, PayPal's approval).
   * True when it is kept (or was already); false when the order no longer waits for its payment, or
   * keeps another payment.
   */
  savePaymentId(orderId: string, providerPaymentId: string, nextAction?: NextAction): Promise<boolean>;
  /** Event `await_payment`: stores the workflow's callback token while the order waits for its credit. False when no longer waiting. */
  saveTaskToken(orderId: string, taskToken: string): Promise<boolean>;
  getTaskToken(orderId: string): Promise<string | undefined>;
  /*
   * PEC on the holder's own domain: the workflow checks the domain, then waits on a task token for
   * the next check (a timeout) or for a check asked for (`dns-check`). The order counts the checks
   * asked for, and remembers how many had been asked for when the last check began, so a request
   * that lands while a check runs is never lost.
   */
  /** Event `await_dns`: a check of the domain begins (every check asked for so far is answered by it). False when not activating. */
  startDnsCheck(orderId: string): Promise<boolean>;
  /**
   * Event `await_dns`: stores the token of the wait for the next check, unless a check was asked for
   * since the last one began (`check_requested`: check again now), or the order is no longer activating.
   */
  saveDnsTaskToken(orderId: string, taskToken: string): Promise<'saved' | 'check_requested' | 'not_waiting'>;
  /**
   * Event `await_dns`: records that a check was asked for, and answers the token of the wait to end
   * (none while a check runs); undefined when the order is not activating.
   */
  requestDnsCheck(orderId: string): Promise<{ taskToken?: string } | undefined>;
}

/**
 * The orders that need a person: each order carries the moment it does if it has not moved on by
 * then (`domain/attention.ts`); the index lists those whose moment has passed, oldest first.
 */
export interface AttentionIndex {
  /** Each order with `since`, the moment it started needing a person. */
  due(now: Date, query: { limit: number; after?: ListPosition }): Promise<ListPage<{ order: Order; since: string }>>;
}

export interface MailboxRepository {
  get(address: string): Promise<Mailbox | undefined>;
  /**
   * A storefront's mailboxes (never a reservation), newest first by `orderedAt`; with
   * `expiresBefore`, latest expiry first. From an index: the cost of a page does not grow with the table.
   */
  listByStorefront(storefrontId: string, query: MailboxListQuery): Promise<ListPage<Mailbox>>;
  /** Holds the address for an order: succeeds only when it is free (or already held by the same order). */
  reserve(reservation: Mailbox, now: Date): Promise<boolean>;
  /** Frees an address still held (reserved, or activating) by this order; a no-op otherwise. */
  release(address: string, orderId: string): Promise<void>;
  /** Shows this order's reservation as a mailbox being activated (PEC on the holder's domain). False when not held. */
  markActivating(address: string, orderId: string): Promise<boolean>;
  /** Turns this order's reservation into an active mailbox. False when the order no longer holds it. */
  activate(
    address: string,
    orderId: string,
    fields: Pick<Mailbox, 'activatedAt' | 'expiresAt' | 'autoRenew' | 'renewalPayment' | 'billing' | 'renewalYears'>,
  ): Promise<boolean>;
  /** Records the first password: false when one was already set. */
  markPasswordSet(address: string): Promise<boolean>;
  /**
   * Applies a renewal: the new expiry, the mailbox active again, the order remembered; with `plan`,
   * the plan and extra GB of the new period (the mailbox's `type` and `extraGb`). `stale` when
   * the expiry is no longer `previousExpiresAt` (a concurrent renewal), `applied` when this order was
   * applied before, `gone` when the mailbox can no longer be renewed.
   */
  extend(
    address: string,
    orderId: string,
    change: {
      previousExpiresAt: string | undefined;
      expiresAt: string;
      renewalPayment?: Mailbox['renewalPayment'];
      plan?: PlanChoice;
    },
  ): Promise<'extended' | 'stale' | 'applied' | 'gone'>;
  /**
   * Switches automatic renewal of this storefront's mailbox; undefined when the mailbox changed
   * meanwhile (no longer renewable, no card, or the address now another storefront's).
   */
  setAutoRenew(address: string, enabled: boolean, storefrontId: string): Promise<Mailbox | undefined>;
  /**
   * The addresses due by `until` in the due-day index partitions of `days` (`YYYY-MM-DD`, every
   * shard of each), at most `limit`; `next` is where the following page starts. Every write that
   * changes a mailbox's renewal schedule moves it to the partition of its next stage's day.
   */
  listDue(query: { days: string[]; until: string; limit: number; after?: DueCursor }): Promise<{
    addresses: string[];
    next?: DueCursor;
  }>;
  /**
   * Records a renewal stage as done (`stageKey` of the renewal policy) while the mailbox still expires
   * at `expiresAt`; true only for the one caller that recorded it.
   */
  markStageDone(address: string, expiresAt: string, stageKey: string): Promise<boolean>;
  /** Writes the mailbox's renewal schedule again, as it is now (the index said something stale). */
  reschedule(address: string): Promise<void>;
  /** `active` → `suspended`, if the mailbox still expires at `expiresAt` (not renewed meanwhile). */
  suspend(address: string, expiresAt: string): Promise<boolean>;
  /** `suspended` → `deleted` (the address becomes free), if it still expires at `expiresAt`. */
  markDeleted(address: string, expiresAt: string): Promise<boolean>;
  /**
   * Records that email to the holder's reference address hard-bounced, on the mailbox whose
   * `holderEmail` it still is (compared case-insensitively by the caller); the first report is kept.
   * False when the mailbox is gone, its reference email is another one, or it was recorded already.
   */
  markContactUndeliverable(address: string, holderEmail: string, contact: MailboxContact): Promise<boolean>;
}

/** Where a page of due addresses ended: which partition of the query, and the last sort key read in it. */
export interface DueCursor {
  partition: number;
  sortKey?: string;
}

/** The renewal sweep's own record: the last day whose due partitions a sweep has read completely. */
export interface SweepStateRepository {
  sweptThrough(): Promise<string | undefined>;
  /** Records `day` as swept through, unless a later day is recorded already. */
  recordSwept(day: string): Promise<void>;
}

export interface AccessToken {
  tokenHash: string;
  address: string;
  /** The order that created the mailbox (first access), or the mailbox's order (reset). */
  orderId: string;
  purpose: AccessLinkPurpose;
  expiresAt: string;
}

/** `revoked`: a newer link of the same purpose was issued for the mailbox since. */
export type ClaimResult = 'claimed' | 'unknown' | 'used' | 'expired' | 'revoked';

export interface AccessTokenRepository {
  /**
   * Stores a new token as the mailbox's one usable link of its purpose: any earlier link of that
   * purpose stops working (its claim answers `revoked`), whether or not it was used.
   */
  issue(token: AccessToken): Promise<void>;
  /** Marks the token used, atomically: exactly one caller ever gets `claimed`, and only for the mailbox's latest link. */
  claim(tokenHash: string, now: Date): Promise<{ result: ClaimResult; token?: AccessToken }>;
  /** Gives a claimed token back after the password could not be set, so the holder can try again. */
  unclaim(token: AccessToken): Promise<void>;
}

/** What a rate limiter answers: let the request through, or refuse it and say when to retry. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /**
   * Counts one request of `subject` against `limit` if the limit lets it through: at most
   * `limit.requests` are let through in any window of `limit.windowSeconds`, however many arrive at once.
   */
  hit(limit: RateLimit, subject: string, now: Date): Promise<RateDecision>;
}

/**
 * A card or PayPal payment to create for an order, or for a reseller's top-up (nothing is taken
 * until it is confirmed). What it pays is kept with the payment at the provider (Stripe:
 * `metadata.orderId` or `metadata.topUpId`), so the provider's events name it.
 */
export type PaymentRequest = PaymentRequestFields & ({ orderId: string } | { topUpId: string });

interface PaymentRequestFields {
  /** The same key creates the same payment again instead of a second one (Stripe keeps a key 24 hours). */
  idempotencyKey: string;
  amountCents: number;
  currency: 'EUR';
  method: ImmediatePaymentMethod;
  description: string;
  /**
   * The holder pays now and the payment method is kept for charging them later while they are away
   * (automatic renewals): a customer is made for the holder at the provider, once per
   * `idempotencyKey` (Stripe: a Customer), and the payment saves the method on it (Stripe:
   * `setup_future_usage: off_session`). The result names what was saved (`saved`).
   */
  saveFor?: { idempotencyKey: string; email: string };
  /** An off-session charge: the provider's customer whose saved payment method is charged. */
  customerId?: string;
}

/**
 * What became of a payment: taken (`chargeId` names it for refunds; `saved`, the customer and
 * payment method the provider keeps for later charges, read from the payment itself), declined
 * (final), or waiting for the holder to act (3-D Secure, PayPal's approval), with what the
 * storefront needs for that.
 */
export type ChargeResult =
  | { status: 'succeeded'; chargeId: string; saved?: Omit<SavedPaymentMethod, 'method'> }
  | { status: 'declined'; reason: string }
  | { status: 'requires_action'; nextAction: NextAction };

/**
 * The payment provider (Stripe: a PaymentIntent per order). A payment is created first, without
 * taking money, and its id kept on the order; only then is it confirmed. So whatever happened to a
 * confirmation whose answer was lost is found by the id, never guessed, and never asked twice.
 */
export interface PaymentGateway {
  /** Creates the order's payment (the same idempotency key answers the same one): its id. */
  createPayment(request: PaymentRequest): Promise<string>;
  /**
   * Asks for the money of a created payment with what the storefront collected (its `credential`);
   * the same key confirms once and answers the first outcome again. A credential the provider
   * refuses (unknown, of another payment method type) is a decline. `offSession`: the holder is away
   * (an automatic renewal charging a saved method): a payment that would need them to authenticate
   * is declined (`authentication_required`), never `requires_action`.
   */
  confirmPayment(
    paymentId: string,
    confirmation: { idempotencyKey: string; credential: PaymentCredential; offSession?: boolean },
  ): Promise<ChargeResult>;
  /** What became of a payment; undefined while nothing was attempted (created, not confirmed). */
  findPayment(paymentId: string): Promise<ChargeResult | undefined>;
  /**
   * Gives up a payment still waiting for the holder, so that it can no longer take money: answers
   * `declined`, or `succeeded` when the holder completed it first (then the money was taken).
   */
  cancelPayment(paymentId: string): Promise<ChargeResult>;
  /**
   * Gives back all of a succeeded payment's money (Stripe: a Refund of the PaymentIntent); the same
   * idempotency key refunds once and answers the same refund again. `succeeded`: given back;
   * `pending`: under way (the provider's `charge.refunded` event reports it done); `failed`: the
   * provider could not (an operator must).
   */
  refundPayment(
    paymentId: string,
    refund: { idempotencyKey: string },
  ): Promise<{ refundId: string; status: 'succeeded' | 'pending' | 'failed' }>;
}

export interface MailPlatform {
  /**
   * Creates the mailbox with its quota, and with `credential` its password already set; creating one
   * that exists with the same quota is a no-op.
   */
  createMailbox(mailbox: { address: string; mailboxGb: number; archiveGb: number; credential?: string }): Promise<void>;
  /** Sets the mailbox password (the platform keeps only a hash). */
  setPassword(address: string, password: string): Promise<void>;
  /**
   * The form in which the platform keeps a password (for the DynamoDB platform a salted scrypt hash),
   * to create a mailbox with later (`createMailbox`'s `credential`) without holding the password itself.
   */
  credentialOf(password: string): Promise<string>;
  /** Receive-only (suspended) or back to normal; a no-op for an account that does not exist. */
  setReceiveOnly(address: string, receiveOnly: boolean): Promise<void>;
  /** Deletes the account and its contents for good; a no-op when it is gone already. */
  deleteMailbox(address: string): Promise<void>;
  /** The space the account uses now, in bytes (nothing for an account that does not exist). */
  usage(address: string): Promise<SpaceInUse>;
  /** Sets the account's quota (a plan change, extra GB); content over it is kept; a no-op for an account that does not exist. */
  setQuota(address: string, quota: Quota): Promise<void>;
}

export interface EmailMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** What an order's confirmation says was ordered: the mailbox, its plan and years, the totals, the conditions accepted. */
export interface OrderSummary {
  to: string;
  orderId: string;
  kind: OrderKind;
  address: string;
  type: MailboxType;
  domainPec: boolean;
  years: number;
  totals: Totals;
  /** A new order: the general contract conditions accepted, with their document when it is the one in force. */
  terms?: { version: string; url?: string };
  /** A renewal buying extra GB for the new period. */
  extraGb?: ExtraGb;
}

/** The confirmation of a new card or PayPal order, sent before it is charged. */
export interface OrderConfirmation extends OrderSummary {
  method: ImmediatePaymentMethod;
}

/** The payment instructions of a transfer or postal slip order: its confirmation, with how to pay. */
export interface PaymentInstructions extends OrderSummary {
  method: CreditPaymentMethod;
  /** The RF creditor reference the transfer must quote. */
  reference: string;
  deadline: string;
}

/**
 * The confirmation that ends every renewal (manual, automatic, after a retried charge, with a plan
 * change): the new expiry, the plan and extra GB from the renewal on, the years and what was paid.
 */
export interface RenewalConfirmation {
  to: string;
  address: string;
  orderId: string;
  expiresAt: string;
  type: MailboxType;
  /** The plan before the renewal, when the renewal changed it. */
  previousType?: MailboxType;
  extraGb?: ExtraGb;
  years: number;
  totals: Totals;
}

/** The emails the holder receives; the adapter renders and sends them. Each answers the message id. */
export interface Notifier {
  orderConfirmation(input: OrderConfirmation): Promise<string>;
  /** `reissued`: a new link the storefront asked for; earlier links no longer work. */
  firstAccess(input: {
    to: string;
    address: string;
    link: string;
    expiresAt: string;
    reissued?: boolean;
  }): Promise<string>;
  /** The link to choose a new password, asked for by the holder. */
  passwordReset(input: { to: string; address: string; link: string; expiresAt: string }): Promise<string>;
  /** `refundCents` when the order was paid: the email says the money goes back. */
  orderFailed(input: {
    to: string;
    address: string;
    orderId: string;
    kind: OrderKind;
    paymentDeclined: boolean;
    refundCents?: number;
  }): Promise<string>;
  /** `onRequest` when the storefront cancelled the order, rather than its payment not arriving in time. */
  orderCancelled(input: {
    to: string;
    address: string;
    orderId: string;
    kind: OrderKind;
    onRequest?: boolean;
    refundCents?: number;
  }): Promise<string>;
  renewalConfirmed(input: RenewalConfirmation): Promise<string>;
  /** Without automatic renewal: the mailbox expires in `daysLeft` days; `renewalLink` is the storefront's renewal page. */
  expiryReminder(input: {
    to: string;
    address: string;
    expiresAt: string;
    daysLeft: number;
    renewalLink: string;
  }): Promise<string>;
  /** With automatic renewal: the card or PayPal account will be charged `grossCents` on `chargeAt`, for `years`. */
  chargeNotice(input: {
    to: string;
    address: string;
    expiresAt: string;
    chargeAt: string;
    years: number;
    grossCents: number;
  }): Promise<string>;
  /**
   * An automatic renewal's charge was declined: what happened, the storefront's renewal page, the
   * day the mailbox stops sending (its expiry), and the next attempt (`nextAttemptAt`; absent after
   * the last one, when automatic renewal is switched off).
   */
  renewalDeclined(input: {
    to: string;
    address: string;
    orderId: string;
    expiresAt: string;
    renewalLink: string;
    nextAttemptAt?: string;
  }): Promise<string>;
  domainDnsInstructions(input: {
    to: string;
    address: string;
    domain: string;
    mxHosts: string[];
    deadline: string;
  }): Promise<string>;
  paymentInstructions(input: PaymentInstructions): Promise<string>;
}

export interface WorkflowStarter {
  /**
   * Makes sure the order's workflow runs: starts it unless an execution for the order is running.
   * Executions are named after the order (`<orderId>`, then `<orderId>-2`... for a restart after one
   * ended), so concurrent starts still give one running execution.
   */
  startOrder(orderId: string, input: Record<string, unknown>): Promise<void>;
}

export interface AuditEntry {
  orderId: string;
  event: string;
  at: Date;
  /** Tells apart entries of one event that may happen more than once for the order (a payment event id, an expiry). */
  ref?: string;
  detail?: Record<string, unknown>;
}

export interface AuditLog {
  /** Records an entry; recording the same (orderId, event, ref) again replaces it, so a retried step never duplicates one. */
  record(entry: AuditEntry): Promise<void>;
}

export interface DocumentStore {
  /** Keeps the completed order as the contract record (holder, billing, totals, dates); rewriting it is harmless. */
  putOrderDocument(order: Order): Promise<void>;
}

export type PaymentEventRecord = 'new' | 'seen' | 'done';

/** A credit that pays no order (a second credit, a foreign currency, a closed order...): to refund. */
export interface PaymentEventRefund {
  status: 'required';
  amountCents: number;
  currency: string;
  /** Who paid, when the bank's statement said so: where the money goes back. */
  payer?: Payer;
}

export interface PaymentEventRepository {
  /**
   * Records an event by id with a conditional write: `new` the first time, `seen` when a delivery of
   * it is recorded but not finished (a retry after a failure, or a concurrent duplicate), `done` once
   * it took effect.
   */
  record(
    event: {
      id: string;
      type: string;
      /** Absent for a credit that quotes no order (a bank statement's entry). */
      orderId?: string;
      amountCents: number;
      currency: string;
      occurredAt: string;
      payer?: Payer;
      /** What the source said (a statement's entry: payer, remittance, references), kept for an operator. */
      source?: Record<string, unknown>;
    },
    at: Date,
  ): Promise<PaymentEventRecord>;
  /**
   * Marks the event as having taken effect, with what it did: `anomaly` when it needs an operator's
   * look, `refund` when it is money received that pays no order and must go back.
   */
  finish(
    eventId: string,
    result: { outcome: string; anomaly: boolean; refund?: PaymentEventRefund },
    at: Date,
  ): Promise<void>;
}

/** A payment event recorded as an anomaly, as an operator lists them (the event's own fields; no personal data beyond the payer the bank named). */
export interface AnomalyRecord {
  eventId: string;
  type: string;
  orderId?: string;
  amountCents: number;
  currency: string;
  occurredAt: string;
  outcome: string;
  /** `refund-required`: money received that pays no order, to give back (to `payer`, when the bank named it). */
  action?: string;
  payer?: Payer;
  finishedAt: string;
}

/** The anomalies of one day (UTC), from the day index: never a Scan. */
export interface AnomalyIndex {
  onDay(day: string, query: { limit: number; after?: ListPosition }): Promise<ListPage<AnomalyRecord>>;
}

/** An order's latest workflow execution, as far as an operator's redrive is concerned. */
export interface WorkflowRun {
  executionArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  error?: string;
}

/** Step Functions, for an operator: the latest execution of an order, and its redrive. */
export interface WorkflowRedrive {
  /** The order's latest execution (`<orderId>`, `<orderId>-2`...), or undefined when it has none. */
  latestRun(orderId: string): Promise<WorkflowRun | undefined>;
  /** Restarts an unsuccessful execution from the state where it failed; `not_redrivable` when Step Functions refuses. */
  redrive(executionArn: string): Promise<'redriven' | 'not_redrivable'>;
}

/**
 * An event of the payment provider (Stripe), verified by its signature, with what the use cases
 * read of it: the PaymentIntent (or the Charge) it is about.
 */
export interface ProviderEvent {
  id: string;
  /** Stripe's event type: `payment_intent.succeeded`, `payment_intent.payment_failed`, `charge.refunded`... */
  type: string;
  occurredAt: string;
  /** The provider's payment (PaymentIntent id) the event is about, if any. */
  paymentId?: string;
  /** The order named in the payment's metadata (`metadata.orderId`), if any. */
  orderId?: string;
  /** The reseller's top-up named in the payment's metadata (`metadata.topUpId`), if any. */
  topUpId?: string;
  /** The amount the event is about (a PaymentIntent's amount, a Charge's amount refunded), in cents. */
  amountCents: number;
  /** ISO 4217, upper case. */
  currency: string;
}

export interface WorkflowCallbacks {
  /** Resumes a waiting workflow; `closed` when the wait is over already (completed, timed out, aborted). */
  succeed(taskToken: string, output: Record<string, unknown>): Promise<'resumed' | 'closed'>;
  /** Fails a waiting workflow's task with the given error name, which the workflow's Catch matches. */
  fail(taskToken: string, error: ErrorName, cause: string): Promise<'resumed' | 'closed'>;
}

/**
 * Whether a domain exists in DNS: `missing` only when DNS answered that the name does not exist
 * (NXDOMAIN); `unknown` when it could not be asked (SERVFAIL, a timeout, a refusal).
 */
export type DomainExistence = 'exists' | 'missing' | 'unknown';

export interface DnsResolver {
  /** The domain's MX records; none when the domain has no MX records or does not exist. Throws when the resolver fails. */
  mx(domain: string): Promise<{ exchange: string; priority: number }[]>;
  existence(domain: string): Promise<DomainExistence>;
  /** The domain's name servers (NS records); none when it has none or does not exist. Throws when the resolver fails. */
  ns(domain: string): Promise<string[]>;
}

/** Where the bank's statement files arrive (the statements bucket). */
export interface StatementFiles {
  /** The file's text, and the key it was read under. */
  read(key: string): Promise<{ key: string; text: string }>;
  /**
   * Sets a file that cannot be applied aside (a copy under `rejected/`, with the problems beside
   * it), for an operator to look at; answers the copy's key. Doing it again rewrites the same copy.
   */
  reject(key: string, problems: { path: string; message: string }[]): Promise<string>;
}

/** What placing a reseller's order paid from credit did (`ResellerRepository.placeDebitedOrder`). */
export type DebitedPlacement =
  | 'placed'
  | 'order_exists'
  | 'address_unavailable'
  | 'insufficient_credit'
  | 'no_reseller';

/**
 * Resellers and their credit ledger. Every change of a balance is one transaction with the movement
 * that explains it (a movement can exist only once, the balance never goes below zero: conditions
 * of that transaction, never a read-then-write).
 */
export interface ResellerRepository {
  /** The reseller of an API key id, or undefined for a storefront's key. */
  get(resellerId: string): Promise<Reseller | undefined>;
  /** Creates the reseller with its first deposit as a movement; `exists` (nothing changed) when it is there already. */
  enrol(reseller: Omit<Reseller, 'balanceCents'>, deposit: CreditMovement): Promise<'created' | 'exists'>;
  /**
   * Places an order paid from credit, all or nothing in one transaction: the order (stored paid),
   * the address reserved for a new mailbox (`reservation`), the debit movement, and the balance
   * lowered by it on condition that it stays at or above zero.
   */
  placeDebitedOrder(input: {
    resellerId: string;
    order: Order;
    debit: CreditMovement;
    reservation?: { mailbox: Mailbox; now: Date };
    /** The initial password's credential (`OrderRepository.initialPasswordCredential`), written with the order. */
    initialPasswordCredential?: string;
  }): Promise<DebitedPlacement>;
  /**
   * Gives a closed (failed or cancelled) order's debit back, in one transaction with the order's
   * payment moving `paid` → `refunded`: `credited` once, `already` for every later call, `not_closed`
   * when the order is not a closed order paid from credit.
   */
  creditBack(
    resellerId: string,
    order: Order,
    movement: CreditMovement,
  ): Promise<'credited' | 'already' | 'not_closed'>;
  /** Adds a deposit or top-up to the balance with its movement, once per movement id. */
  credit(resellerId: string, movement: CreditMovement): Promise<'credited' | 'already'>;
  /** The reseller's movements, newest first (`at`), from an index. */
  movements(resellerId: string, query: { limit: number; after?: ListPosition }): Promise<ListPage<CreditMovement>>;
  /** Sets the low-balance threshold; undefined when there is no such reseller. */
  setLowBalanceThreshold(resellerId: string, thresholdCents: number): Promise<Reseller | undefined>;
  /**
   * Claims the low-balance email of the current crossing: true for exactly one caller while the
   * balance is below the threshold and no email was claimed since it was last at or above it.
   */
  claimLowBalanceNotice(resellerId: string, at: Date): Promise<boolean>;
  /** Lets the next crossing send its email again, when the balance is back at or above the threshold. */
  rearmLowBalanceNotice(resellerId: string): Promise<void>;
  /** Gives back the claim made `at`, after its email could not be sent, so the next debit sends it. */
  releaseLowBalanceNotice(resellerId: string, at: Date): Promise<void>;
  /** Stores a new top-up unless one with its id exists. */
  createTopUp(topUp: TopUp): Promise<'created' | 'exists'>;
  getTopUp(topUpId: string): Promise<TopUp | undefined>;
  /**
   * Credits a pending top-up, in one transaction: the top-up `credited` (by `eventId`), its movement,
   * the balance. `already` when its movement exists; `not_pending` when the top-up is not pending.
   */
  creditTopUp(topUp: TopUp, movement: CreditMovement, eventId: string): Promise<'credited' | 'already' | 'not_pending'>;
  /**
   * Keeps a pending card or PayPal top-up's payment at the provider (and, while it waits for the
   * reseller, what they must do): false when the top-up is no longer pending or keeps another payment.
   */
  saveTopUpPayment(topUpId: string, providerPaymentId: string, nextAction?: NextAction): Promise<boolean>;
  /** Marks a pending card or PayPal top-up declined, with the provider's reason; false when it is not pending. */
  declineTopUp(topUpId: string, reason: string): Promise<boolean>;
}

/** The emails a reseller receives about its credit. */
export interface ResellerNotifier {
  /** The balance went below the threshold the reseller set: time to top up. */
  lowBalance(input: { to: string; name: string; balanceCents: number; thresholdCents: number }): Promise<string>;
  /** A mailbox of the reseller renews automatically on `chargeAt`: `amountCents` will be debited from the credit. */
  creditRenewalNotice(input: CreditRenewalNotice): Promise<string>;
  /**
   * The credit did not cover a mailbox's automatic renewal: tried again on `nextAttemptAt`, or (none)
   * automatic renewal is off and the mailbox is suspended at `expiresAt` unless renewed.
   */
  creditRenewalDeclined(input: CreditRenewalNotice & { balanceCents: number; nextAttemptAt?: string }): Promise<string>;
}

/** What a reseller is told about a mailbox's automatic renewal from its credit. */
export interface CreditRenewalNotice {
  to: string;
  name: string;
  address: string;
  expiresAt: string;
  chargeAt: string;
  years: number;
  /** The debit, net of VAT, at the reseller's price list. */
  amountCents: number;
}

/** The reseller's emails about its certified domains. */
export interface DomainRenewalNotifier {
  /** A certified domain's yearly renewal found the credit short: top up before `expiresAt`, or it lapses. */
  domainRenewalShort(input: {
    to: string;
    name: string;
    domain: string;
    expiresAt: string;
    priceCents: number;
    balanceCents: number;
  }): Promise<string>;
}

/** What requesting a domain's certification did (`ResellerDomainRepository.request`). */
export type DomainRequest = 'requested' | 'domain_taken' | 'insufficient_credit' | 'no_reseller';

/** A reseller's certified domains (`DOMAIN#<domain>`), each paid with a debit of the reseller's ledger. */
export interface ResellerDomainRepository {
  get(domain: string): Promise<ResellerDomain | undefined>;
  /**
   * The domain (pending) with its debit and the balance lowered, in one transaction; nothing written
   * when refused. A free domain (hosted with the provider) has no debit: no movement, the balance untouched.
   */
  request(domain: ResellerDomain, debit: CreditMovement | undefined): Promise<DomainRequest>;
  /** Marks a pending domain certified; answers the domain as it now is. */
  certify(domain: string, at: Date): Promise<ResellerDomain | undefined>;
  /** The reseller's domains, newest first. */
  list(resellerId: string): Promise<ResellerDomain[]>;
  /** The background DNS wait begins a check: the check-now requests so far are seen by it. False when there is no such domain. */
  startDnsCheck(domain: string): Promise<boolean>;
  /**
   * Keeps the token of the wait for the next check of a pending domain: `check_requested` when a
   * check was asked for since the last one began (check again now), `not_waiting` when the domain is
   * no longer pending.
   */
  saveDnsTaskToken(domain: string, taskToken: string): Promise<'saved' | 'check_requested' | 'not_waiting'>;
  /** Records a check-now request; answers the token of the wait in progress, if any (undefined: no such domain). */
  requestDnsCheck(domain: string): Promise<{ taskToken?: string } | undefined>;
  /**
   * A year's renewal, in one transaction: the debit (none when free), the balance lowered (never
   * below zero), the domain's expiry moved a year on, on condition that it is certified and still
   * expires at `expiresAt`: `not_due` (nothing written) otherwise, also for a repeat.
   */
  renew(
    domain: string,
    expiresAt: string,
    next: { expiresAt: string; priceCents: number },
    debit: CreditMovement | undefined,
  ): Promise<'renewed' | 'insufficient_credit' | 'not_due'>;
  /** Records a renewal stage of the term ending `expiresAt` as done: false when it was already (or the term changed). */
  markStageDone(domain: string, expiresAt: string, key: string): Promise<boolean>;
  /** A certified domain not renewed by `expiresAt` lapses: false when it is not (or no longer) so. */
  lapse(domain: string, expiresAt: string, at: Date): Promise<boolean>;
  /** A lapsed domain's mailboxes are deleted: records it once (false afterwards). */
  markPurged(domain: string, at: Date): Promise<boolean>;
  /** Puts the domain in the due-day partition its renewal schedule names (after a stale entry). */
  reschedule(domain: string): Promise<void>;
  /** The addresses of the reseller's mailboxes on the domain (any status but reserved). */
  mailboxesOn(resellerId: string, domain: string): Promise<string[]>;
}

/** Starts the background wait of a pending reseller domain for its MX records. */
export interface DomainWaitStarter {
  /** Makes sure the domain's wait runs (one per domain: named after it); a wait that ran already is not run again. */
  startDomainWait(domain: string): Promise<void>;
}

/** The applicant's emails about its enrolment. */
export interface EnrolmentNotifier {
  /** An enrolment was approved: the first deposit to pay (gross) and its RF reference. */
  enrolmentApproved(input: { to: string; name: string; grossCents: number; reference: string }): Promise<string>;
  /** An enrolment was rejected, with the operator's reason. */
  enrolmentRejected(input: { to: string; name: string; reason: string }): Promise<string>;
}

/** Reseller enrolments (`POST /resellers`, decided by an operator). */
export interface EnrolmentRepository {
  create(enrolment: Enrolment): Promise<void>;
  get(enrolmentId: string): Promise<Enrolment | undefined>;
  /**
   * Moves an enrolment on, on condition that it is still as `from` says (its status and, for an
   * approval's claim, the `approvingAt` it was claimed at): `not_pending` (nothing changed) otherwise.
   * `from` defaults to `pending_documents`.
   */
  decide(
    enrolmentId: string,
    decision: Pick<
      Enrolment,
      'status' | 'approvingAt' | 'approvingBy' | 'decidedAt' | 'decidedBy' | 'reason' | 'resellerId' | 'openingTopUpId'
    >,
    from?: Pick<Enrolment, 'status' | 'approvingAt'>,
  ): Promise<'decided' | 'not_pending'>;
  /** The enrolments in these statuses, oldest first (`createdAt`), one page at a time. */
  list(
    statuses: readonly EnrolmentStatus[],
    query: { limit: number; after?: ListPosition },
  ): Promise<ListPage<Enrolment>>;
}

/** A browser form that uploads one object straight to storage (an S3 presigned POST). */
export interface UploadForm {
  url: string;
  fields: Record<string, string>;
}

export interface UploadForms {
  /** A form that uploads exactly `key`, of `contentType`, at most `maxBytes`, for `expiresSeconds`. */
  form(input: { key: string; contentType: string; maxBytes: number; expiresSeconds: number }): Promise<UploadForm>;
}

/** Documents uploaded through upload forms: whether one has arrived. */
export interface UploadedDocuments {
  received(key: string): Promise<boolean>;
}

/** Reseller API keys: in AWS an API Gateway key on the resellers' usage plan. */
export interface ApiKeyIssuer {
  /**
   * The key named `name`, on the resellers' usage plan: the one that exists (found by its name) or a
   * new one. Its id is the reseller's id; its value is the key itself. Safe to call again after a crash.
   */
  findOrCreate(name: string): Promise<{ id: string; value: string }>;
}
